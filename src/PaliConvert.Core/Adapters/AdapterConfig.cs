using System.Text.Json;
using System.Text.RegularExpressions;
using PaliConvert.Formats;
using PaliConvert.Models;

namespace PaliConvert.Adapters;

/// <summary>
/// A PEFT adapter_config.json as PEFT's LoraConfig reads it (peft/tuners/lora/config.py): its defaults where a key is
/// absent, every value type-checked. What cannot be merged exactly is refused naming the key, never ignored.
/// </summary>
public sealed record AdapterConfig(string Path)
{
    public const string FileName = "adapter_config.json";
    public int R { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    /// <summary>A list of module names (matched as a name or a dotted suffix), or one regex (matched whole), or all-linear.</summary>
    public string[] TargetList { get; init; } = [];
    public Regex? TargetRegex { get; init; }
    public bool AllLinear { get; init; }
    public string[] ExcludeList { get; init; } = [];
    public Regex? ExcludeRegex { get; init; }
    public bool RsLora { get; init; }
    public bool Dora { get; init; }
    public IReadOnlyList<(string pattern, int rank)> RankPattern { get; init; } = [];
    public IReadOnlyList<(string pattern, double alpha)> AlphaPattern { get; init; } = [];
    public int[]? Layers { get; init; }
    public string[]? LayersPattern { get; init; }
    public string[] ModulesToSave { get; init; } = [];
    public string? BaseModel { get; init; }

    public static AdapterConfig Read(string path)
    {
        using var doc = JsonText.Parse(Tensors.RegularFile.ReadAllBytes(path), path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new BadInputException(path, $"{path}: not a JSON object");
        var s = new JsonSection(path, "", root);
        string type = s.String("peft_type", "");
        if (type != "LORA")
            throw new BadInputException(path, $"{path}: peft_type is '{type}'; only LORA adapters (LoRA, rsLoRA, DoRA) can be merged",
                "peft_type");
        Refuse(path, s.Bool("fan_in_fan_out"), "fan_in_fan_out", "true (Conv1D layers: PaliGemma has none)");
        Refuse(path, s.String("bias", "none") != "none", "bias", $"'{s.String("bias", "none")}' (trained biases are not merged)");
        Refuse(path, s.Bool("lora_bias"), "lora_bias", "true (lora_B biases are not merged)");
        Refuse(path, Has(root, "layer_replication"), "layer_replication", "set (the merged model would have other layers)");
        Refuse(path, Has(root, "target_parameters") && root.GetProperty("target_parameters") is var tp
            && (tp.ValueKind != JsonValueKind.Array || tp.GetArrayLength() > 0), "target_parameters", "set (parameter targets are not " +
            "supported)");
        Refuse(path, Has(root, "alora_invocation_tokens"), "alora_invocation_tokens", "set (activated LoRA cannot be merged)");
        var (list, regex, all) = Targets(path, root, "target_modules");
        var (exList, exRegex, _) = Targets(path, root, "exclude_modules");
        return new AdapterConfig(path)
        {
            R = s.Int("r", 8), Alpha = Number(path, root, "lora_alpha", 8), RsLora = s.Bool("use_rslora"), Dora = s.Bool("use_dora"),
            TargetList = list, TargetRegex = regex, AllLinear = all, ExcludeList = exList, ExcludeRegex = exRegex,
            RankPattern = Pattern(path, root, "rank_pattern", (v, k) => (int)Whole(path, v, k)),
            AlphaPattern = Pattern(path, root, "alpha_pattern", (v, k) => Number(path, v, k)),
            Layers = LayerList(path, root), LayersPattern = Patterns(path, StringOrList(path, root, "layers_pattern"), "layers_pattern"),
            ModulesToSave = s.Strings("modules_to_save") ?? [],
            BaseModel = s.Has("base_model_name_or_path") ? s.String("base_model_name_or_path", "") : null,
        };
    }

    /// <summary>PEFT's method name for this adapter.</summary>
    public string Method => Dora ? "DoRA" : RsLora ? "rsLoRA" : "LoRA";

    private static bool Has(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.False);

    private static void Refuse(string path, bool set, string key, string what)
    {
        if (set) throw new BadInputException(path, $"{path}: {key} is {what}; this adapter cannot be merged exactly", key);
    }

    private static BadInputException Bad(string path, string key, JsonElement v, string expected) =>
        new(path, $"{path}: {key} is {JsonText.Show(v)}, expected {expected}", key);

    private static double Whole(string path, JsonElement v, string key) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && d >= 1 && d <= 1 << 20 ? d
            : throw Bad(path, key, v, "a positive integer");

    private static double Number(string path, JsonElement v, string key) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) ? d
            : throw Bad(path, key, v, "a finite number");

    private static double Number(string path, JsonElement root, string key, double fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? Number(path, v, key) : fallback;

    private static (string[] list, Regex? regex, bool all) Targets(string path, JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return ([], null, false);
        if (v.ValueKind == JsonValueKind.String)
        {
            string text = JsonText.String(v, $"{path}: {key}");
            if (text == "all-linear") return ([], null, true);
            try { return ([], new Regex($"^(?:{text})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), false); }
            catch (ArgumentException e) { throw new BadInputException(path, $"{path}: {key} is not a valid regex: {e.Message}", key); }
        }
        return (StringOrList(path, root, key) ?? [], null, false);
    }

    private static string[]? StringOrList(string path, JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return [JsonText.String(v, $"{path}: {key}")];
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            throw Bad(path, key, v, "a string or a list of strings");
        return v.EnumerateArray().Select(x => JsonText.String(x, $"{path}: {key}")).ToArray();
    }

    /// <summary>Regex fragments, each checked to compile.</summary>
    private static string[]? Patterns(string path, string[]? patterns, string key)
    {
        foreach (var p in patterns ?? [])
        {
            try { _ = new Regex(p, RegexOptions.CultureInvariant); }
            catch (ArgumentException e)
            {
                throw new BadInputException(path, $"{path}: {key} '{p}' is not a valid regex: {e.Message}", key);
            }
        }
        return patterns;
    }

    private static int[]? LayerList(string path, JsonElement root)
    {
        const string key = "layers_to_transform";
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        int One(JsonElement x) => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int i) && i >= 0 ? i
            : throw Bad(path, key, v, "a layer index or a list of them");
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(One).ToArray() : [One(v)];
    }

    private static IReadOnlyList<(string, T)> Pattern<T>(string path, JsonElement root, string key, Func<JsonElement, string, T> value)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind != JsonValueKind.Object) throw Bad(path, key, v, "an object of module patterns");
        foreach (var p in v.EnumerateObject())
        {
            try { _ = new Regex(p.Name, RegexOptions.CultureInvariant); }
            catch (ArgumentException e)
            {
                throw new BadInputException(path, $"{path}: {key} key '{p.Name}' is not a valid regex: {e.Message}", key);
            }
        }
        return v.EnumerateObject().Select(p => (p.Name, value(p.Value, $"{key}['{p.Name}']"))).ToList();
    }
}
