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
            var names = shape == null ? [(rule.To, "")] : rule.Slices(shape).targets;
            foreach (var (name, index) in names) map.TryAdd(name, index.Length == 0 ? rule.From : $"{rule.From}[{index}]");
        }
        foreach (var (tied, partner) in rules.Ties)
            if (map.TryGetValue(partner, out var from)) map.TryAdd(tied, from);
        return map;
    }
}
