using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PaliConvert.Mapping;

/// <summary>A mapping rule file (mappings/*.yaml): see mappings/README.md for the format.</summary>
public sealed class RuleFile
{
    public string Name { get; set; } = "";
    public int Family { get; set; }
    public List<Rule> Rules { get; set; } = new();
    public List<string> Skip { get; set; } = new();
    /// <summary>Targets that are tied to another target (lm_head to embed_tokens): not stored, dropped going back.</summary>
    public Dictionary<string, string> Ties { get; set; } = new();
    /// <summary>Rule files (relative to this one) whose rules come first, e.g. the shared vision tower.</summary>
    public List<string> Include { get; set; } = new();

    /// <summary>The rule file of a PaliGemma family in a mappings folder: paligemma.yaml (1) or paligemma2.yaml (2).</summary>
    public static RuleFile ForFamily(string folder, int family) =>
        Load(Path.Combine(folder, family == 2 ? "paligemma2.yaml" : "paligemma.yaml"));

    public static RuleFile Load(string path)
    {
        var d = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        try
        {
            var f = d.Deserialize<RuleFile>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty rule file");
            foreach (var r in f.Rules) r.Validate(path);
            foreach (var inc in f.Include)
            {
                var other = Load(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, inc));
                f.Rules.InsertRange(0, other.Rules);
                f.Skip.AddRange(other.Skip);
                foreach (var (k, v) in other.Ties) f.Ties.TryAdd(k, v);
            }
            return f;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}: {e.Message} (line {e.Start.Line})");
        }
    }
}

public sealed class Rule
{
    /// <summary>Source tensor name (big_vision, without 'params/').</summary>
    public string From { get; set; } = "";
    /// <summary>Target name; '{i}' takes the layer index of an unstack, '{part}' the part of a split.</summary>
    public string To { get; set; } = "";
    /// <summary>Operations in order: 'unstack', {split: [parts]}, {transpose: [...]}, {reshape: [...]}, {pad_rows: SIZE}.</summary>
    public List<object> Ops { get; set; } = new();
    /// <summary>Expected source shape in sizes (e.g. [L, N, H, W]); a tensor that contradicts it is refused.</summary>
    public List<string>? Shape { get; set; }
    /// <summary>A condition on sizes ('N == K', 'N != K') for rules that are alternatives going back.</summary>
    public string? When { get; set; }
    /// <summary>The rule may match no tensor (alternative layouts such as qkv_einsum).</summary>
    public bool Optional { get; set; }

    internal void Validate(string path)
    {
        if (From.Length == 0 || To.Length == 0) throw new InvalidDataException($"{path}: every rule needs 'from' and 'to'");
        foreach (var op in Ops)
            if (op is not string and not Dictionary<object, object>) throw new InvalidDataException($"{path}: rule '{From}': operation {op} is not understood");
    }
}
