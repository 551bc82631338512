namespace PaliConvert.Mapping;

/// <summary>Evaluates a dimension in a rule: an integer, a symbol (W, N, K, H, ...) or a product 'K*H'.</summary>
public static class SizeExpr
{
    public static long Eval(string expr, IReadOnlyDictionary<string, long> symbols, string where)
    {
        long v = 1;
        foreach (var part in expr.Split('*', StringSplitOptions.TrimEntries))
        {
            if (long.TryParse(part, out var n)) v *= n;
            else if (symbols.TryGetValue(part, out var s)) v *= s;
            else throw new InvalidDataException($"{where}: unknown size '{part}' (known: {string.Join(", ", symbols.Keys)})");
        }
        return v;
    }
}
