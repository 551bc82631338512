using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PaliConvert.Mapping;

/// <summary>A mapping rule file (mappings/*.yaml), with its includes merged: see mappings/README.md for the format.</summary>
public sealed class RuleFile
{
    public string Name { get; set; } = "";
    /// <summary>The PaliGemma family (1: Gemma, 2: Gemma 2) whose checkpoints this file converts; 0 for an included part.</summary>
    public int Family { get; set; }
    public List<Rule> Rules { get; set; } = new();
    public List<string> Skip { get; set; } = new();
    /// <summary>Targets that are tied to another target (lm_head to embed_tokens): not stored, dropped going back.</summary>
    public Dictionary<string, string> Ties { get; set; } = new();
    /// <summary>Rule files (relative to this one) whose rules come first, e.g. the shared vision tower.</summary>
    public List<string> Include { get; set; } = new();
    /// <summary>The size symbols the rules use, each naming a quantity of the model (<see cref="Quantities"/>).</summary>
    public Dictionary<string, string> Sizes { get; set; } = new();
    [YamlIgnore] public string Path { get; private set; } = "";

    public static RuleFile Load(string path) => Load(path, []);

    private static RuleFile Load(string path, HashSet<string> including)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!including.Add(path)) throw new InvalidDataException($"{path}: included by itself (an include cycle)");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such rule file");
        var d = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        RuleFile f;
        string text = System.Text.Encoding.UTF8.GetString(Tensors.RegularFile.ReadAllBytes(path));
        try { f = d.Deserialize<RuleFile>(text) ?? throw new InvalidDataException($"{path}: empty rule file"); }
        catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException($"{path}: {e.Message} (line {e.Start.Line})"); }
        f.Path = path;
        if (f.Name.Length == 0) throw new InvalidDataException($"{path}: the file needs a 'name'");
        foreach (var r in f.Rules) r.Parse(path);
        foreach (var (symbol, quantity) in f.Sizes)
            if (!Quantities.Known.Contains(quantity))
                throw new InvalidDataException($"{path}: size {symbol} names '{quantity}', which is not a quantity of the model (known: " +
                    $"{string.Join(", ", Quantities.Known)})");
        var included = new List<Rule>();
        foreach (var inc in f.Include)
        {
            var other = Load(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, inc), including);
            included.AddRange(other.Rules);
            f.Skip.AddRange(other.Skip);
            foreach (var (k, v) in other.Ties) f.Ties.TryAdd(k, v);
            foreach (var (k, v) in other.Sizes)
                if (f.Sizes.TryGetValue(k, out var mine) && mine != v)
                    throw new InvalidDataException($"{path}: size {k} is '{mine}' here but '{v}' in {inc}");
                else f.Sizes[k] = v;
        }
        f.Rules.InsertRange(0, included); // included files' rules first, in the order they are listed
        including.Remove(path);
        return f;
    }

    /// <summary>The value of each declared size symbol for a model.</summary>
    public Dictionary<string, long> Symbols(IReadOnlyDictionary<string, long> quantities) =>
        Sizes.ToDictionary(kv => kv.Key, kv => quantities[kv.Value]);
}

public sealed class Rule
{
    /// <summary>Source tensor name (big_vision, without 'params/').</summary>
    public string From { get; set; } = "";
    /// <summary>Target name; '{i}' takes the layer index of an unstack, '{part}' the part of a split.</summary>
    public string To { get; set; } = "";
    /// <summary>Operations as written in YAML; <see cref="Steps"/> holds them parsed.</summary>
    public List<object> Ops { get; set; } = new();
    [YamlIgnore] public List<RuleOp> Steps { get; private set; } = new();
    /// <summary>Expected source shape in sizes (e.g. [L, N, H, W]); a tensor that contradicts it is refused.</summary>
    public List<string>? Shape { get; set; }
    /// <summary>A condition on sizes ('N == K', 'N != K') for rules that are alternatives going back.</summary>
    public string? When { get; set; }
    /// <summary>The rule may match no tensor (alternative layouts such as qkv_einsum).</summary>
    public bool Optional { get; set; }

    internal void Parse(string path)
    {
        if (From.Length == 0 || To.Length == 0) throw new InvalidDataException($"{path}: every rule needs 'from' and 'to'");
        Steps = Ops.Select(op => RuleOp.Parse(op, $"{path}: rule '{From}'")).ToList();
    }
}
