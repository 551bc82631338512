using PaliConvert.Models;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PaliConvert.Mapping;

/// <summary>A rule file as YAML spells it (see mappings/README.md), compiled into a <see cref="RuleFile"/>.</summary>
internal sealed class RuleFileYaml
{
    public string Name { get; set; } = "";
    public int Family { get; set; }
    public List<RuleYaml> Rules { get; set; } = new();
    public List<string> Skip { get; set; } = new();
    public Dictionary<string, string> Ties { get; set; } = new();
    public List<string> Include { get; set; } = new();
    public Dictionary<string, string> Sizes { get; set; } = new();

    internal sealed class RuleYaml
    {
        public string From { get; set; } = "";
        public string To { get; set; } = "";
        public List<object> Ops { get; set; } = new();
        public List<string>? Shape { get; set; }
        public string? When { get; set; }
        public bool Optional { get; set; }
    }

    public static RuleFile Compile(string path, HashSet<string> including)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!including.Add(path)) throw new RuleException(path, $"{path}: included by itself (an include cycle)");
        if (!File.Exists(path)) throw new RuleException(path, $"{path}: no such rule file");
        var f = Parse(path);
        if (f.Name.Length == 0) throw new RuleException(path, $"{path}: the file needs a 'name'");
        foreach (var (symbol, quantity) in f.Sizes)
            if (!Quantities.Known.Contains(quantity))
                throw new RuleException(path, $"{path}: size {symbol} names '{quantity}', which is not a quantity of the model (known: " +
                    $"{string.Join(", ", Quantities.Known)})");
        var rules = new List<Rule>();
        var skip = new HashSet<string>(f.Skip, StringComparer.Ordinal);
        var ties = new Dictionary<string, string>(f.Ties, StringComparer.Ordinal);
        var sizes = new Dictionary<string, string>(f.Sizes, StringComparer.Ordinal);
        foreach (var inc in f.Include)
        {
            var other = Compile(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, inc), including);
            rules.AddRange(other.Rules); // included files' rules first, in the order they are listed
            skip.UnionWith(other.Skip);
            foreach (var (k, v) in other.Ties) ties.TryAdd(k, v);
            foreach (var (k, v) in other.Sizes)
                if (sizes.TryGetValue(k, out var mine) && mine != v)
                    throw new RuleException(path, $"{path}: size {k} is '{mine}' here but '{v}' in {inc}");
                else sizes[k] = v;
        }
        var declared = sizes.Keys.ToHashSet(StringComparer.Ordinal);
        rules.AddRange(f.Rules.Select(r => CompileRule(path, r, declared)));
        including.Remove(path);
        return new RuleFile
        {
            Name = f.Name, Family = FamilyOf(path, f.Family), Path = path, Rules = rules, Skip = skip, Ties = ties, Sizes = sizes,
        };
    }

    /// <summary>The declared family; none (0) for a file only included by others.</summary>
    private static GemmaFamily? FamilyOf(string path, int family) => family switch
    {
        0 => null,
        1 or 2 => (GemmaFamily)family,
        _ => throw new RuleException(path, $"{path}: family {family} is not 1 (Gemma) or 2 (Gemma 2)"),
    };

    private static RuleFileYaml Parse(string path)
    {
        var d = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        string text = System.Text.Encoding.UTF8.GetString(Tensors.RegularFile.ReadAllBytes(path));
        try { return d.Deserialize<RuleFileYaml>(text) ?? throw new RuleException(path, $"{path}: empty rule file"); }
        catch (YamlDotNet.Core.YamlException e) { throw new RuleException(path, $"{path}: {e.Message} (line {e.Start.Line})"); }
    }

    private static Rule CompileRule(string path, RuleYaml r, IReadOnlySet<string> declared)
    {
        if (r.From.Length == 0 || r.To.Length == 0) throw new RuleException(path, $"{path}: every rule needs 'from' and 'to'");
        RuleException Error(string m) => new(path, $"{path}: rule '{r.From}': {m}", r.From);
        var steps = r.Ops.Select(op => RuleOp.Parse(op, declared, Error)).ToList();
        var shape = r.Shape?.Select(x => SizeExpr.Parse(x, declared, Error)).ToList();
        var when = r.When == null ? null : Condition.Parse(r.When, declared, Error);
        return new Rule(path, r.From, r.To, steps, shape, when, r.Optional);
    }
}
