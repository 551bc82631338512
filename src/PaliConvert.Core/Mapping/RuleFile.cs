using PaliConvert.Models;
namespace PaliConvert.Mapping;

/// <summary>
/// A mapping rule file (mappings/*.yaml) compiled once: includes merged, operations, shapes and conditions parsed, and
/// every size symbol checked against the file's declarations, so a rule that loads runs in either direction. Immutable.
/// </summary>
public sealed class RuleFile
{
    public required string Name { get; init; }
    /// <summary>The PaliGemma family (1: Gemma, 2: Gemma 2) whose checkpoints this file converts; 0 for an included part.</summary>
    public required GemmaFamily? Family { get; init; }
    public required string Path { get; init; }
    public required IReadOnlyList<Rule> Rules { get; init; }
    public required IReadOnlySet<string> Skip { get; init; }
    /// <summary>Targets that are tied to another target (lm_head to embed_tokens): not stored, dropped going back.</summary>
    public required IReadOnlyDictionary<string, string> Ties { get; init; }
    /// <summary>The size symbols the rules use, each naming a quantity of the model (<see cref="Quantities"/>).</summary>
    public required IReadOnlyDictionary<string, string> Sizes { get; init; }

    public static RuleFile Load(string path) => RuleFileYaml.Compile(path, []);

    /// <summary>The value of each declared size symbol for a model.</summary>
    public Dictionary<string, long> Symbols(IReadOnlyDictionary<string, long> quantities) =>
        Sizes.ToDictionary(kv => kv.Key, kv => quantities[kv.Value]);
}

/// <summary>One rule, compiled: where it reads, what it writes and through which operations.</summary>
public sealed record Rule(string File, string From, string To, IReadOnlyList<RuleOp> Steps, IReadOnlyList<SizeExpr>? Shape,
    Condition? When, bool Optional)
{
    /// <summary>How errors name the rule.</summary>
    public string Where => $"rule '{From}'";

    public RuleException Error(string message, string? operation = null) =>
        new(File, $"{File}: {Where}: {message}", From, operation);

    public long[]? ExpectedShape(IReadOnlyDictionary<string, long> sizes) => Shape?.Select(x => x.Eval(sizes)).ToArray();

    /// <summary>
    /// The targets the leading unstack/split operations make of a source of <paramref name="shape"/>, in big_vision
    /// order (layer-major, then part), each with its indices along the sliced axes ("3, 1"), and the slices' shape.
    /// </summary>
    public (List<(string name, string index)> targets, long[] sliceShape, int sliceOps) Slices(long[] shape)
    {
        var targets = new List<(string name, string index)> { (To, "") };
        var s = shape;
        int k = 0;
        for (; k < Steps.Count && Steps[k] is SliceOp slice; k++)
        {
            if (s.Length == 0) throw Error($"{slice.Label} of a scalar", slice.Label);
            long n = s[0];
            targets = targets.SelectMany(t => slice.Names(t.name, n, this).Select((x, i) =>
                (x, t.index.Length == 0 ? $"{i}" : $"{t.index}, {i}"))).ToList();
            s = s[1..];
        }
        return (targets, s, k);
    }
}
