using System.Globalization;

namespace PaliConvert.Mapping;

/// <summary>A dimension in a rule, parsed once: a product of integers and size symbols ('K*H', 'VP', '3').</summary>
public sealed record SizeExpr(string Text, long Constant, IReadOnlyList<string> Symbols)
{
    /// <summary>Parses <paramref name="text"/>; a symbol the file does not declare is refused here, when the file is loaded.</summary>
    public static SizeExpr Parse(string text, IReadOnlySet<string> declared, Func<string, RuleException> error)
    {
        long constant = 1;
        var symbols = new List<string>();
        foreach (var part in text.Split('*', StringSplitOptions.TrimEntries))
        {
            if (long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) constant = checked(constant * n);
            else if (declared.Contains(part)) symbols.Add(part);
            else throw error($"unknown size '{part}' (known: {string.Join(", ", declared.Order(StringComparer.Ordinal))})");
        }
        return new SizeExpr(text, constant, symbols);
    }

    public long Eval(IReadOnlyDictionary<string, long> sizes)
    {
        long v = Constant;
        foreach (var s in Symbols) v = checked(v * sizes[s]);
        return v;
    }

    public override string ToString() => Text;
}

/// <summary>A rule's 'when': 'A == B' or 'A != B' over sizes, parsed once.</summary>
public sealed record Condition(SizeExpr Left, bool Equal, SizeExpr Right)
{
    public static Condition Parse(string text, IReadOnlySet<string> declared, Func<string, RuleException> error)
    {
        foreach (var (op, eq) in new[] { ("==", true), ("!=", false) })
        {
            int at = text.IndexOf(op, StringComparison.Ordinal);
            if (at < 0) continue;
            return new Condition(SizeExpr.Parse(text[..at].Trim(), declared, error), eq,
                SizeExpr.Parse(text[(at + 2)..].Trim(), declared, error));
        }
        throw error($"condition '{text}' is not 'A == B' or 'A != B'");
    }

    public bool Holds(IReadOnlyDictionary<string, long> sizes) => (Left.Eval(sizes) == Right.Eval(sizes)) == Equal;

    public override string ToString() => $"{Left} {(Equal ? "==" : "!=")} {Right}";
}
