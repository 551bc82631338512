using System.Globalization;

namespace PaliConvert.Mapping;

/// <summary>
/// Every Hugging Face tensor a rule file makes, beside the big_vision tensor and slice it comes from
/// ('llm/layers/attn/kv_einsum/w[3, 1]': layer 3, values): the two spellings a report shows side by side.
/// </summary>
public static class RuleNames
{
    public static Dictionary<string, string> HfToBigVision(RuleFile rules, IReadOnlyDictionary<string, long> symbols)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rule in rules.Rules)
        {
            if (rule.When != null && !rule.When.Holds(symbols)) continue;
            var shape = rule.ExpectedShape(symbols);
            var names = new List<(string name, string index)> { (rule.To, "") };
            for (int k = 0; k < rule.Steps.Count && rule.Steps[k] is SliceOp slice && shape != null && k < shape.Length; k++)
                names = names.SelectMany(n => slice.Names(n.name, shape[k], rule).Select((x, i) =>
                    (x, n.index.Length == 0 ? I(i) : $"{n.index}, {I(i)}"))).ToList();
            foreach (var (name, index) in names) map.TryAdd(name, index.Length == 0 ? rule.From : $"{rule.From}[{index}]");
        }
        foreach (var (tied, partner) in rules.Ties)
            if (map.TryGetValue(partner, out var from)) map.TryAdd(tied, from);
        return map;
    }

    private static string I(int i) => i.ToString(CultureInfo.InvariantCulture);
}
