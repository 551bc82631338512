using System.Globalization;
using PaliConvert.Tensors;

namespace PaliConvert.Mapping;

/// <summary>
/// One operation of a rule, parsed once from YAML, with its forward (on views) and its reverse. unstack and split
/// take slices along axis 0 (<see cref="SliceOp"/>), reversed by stacking the slices; the others are views of one
/// tensor, reversed on each slice in reverse order.
/// </summary>
public abstract record RuleOp
{
    public abstract string Label { get; }

    public abstract List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, Rule rule);

    /// <summary>The shape this operation gives a tensor of shape <paramref name="before"/>.</summary>
    public abstract long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, Rule rule);

    public static RuleOp Parse(object yaml, IReadOnlySet<string> declared, Func<string, RuleException> error)
    {
        var (kind, arg) = yaml switch
        {
            string s => (s, (object?)null),
            Dictionary<object, object> d when d.Count == 1 => (d.Keys.First().ToString()!, d.Values.First()),
            _ => throw error($"operation {Show(yaml)} is not understood (unstack, split, transpose, reshape, pad_rows)"),
        };
        return kind switch
        {
            "unstack" when arg == null => new Unstack(),
            "split" => new Split(Strings(arg, error, "split needs a list of part names")),
            "transpose" => new Transpose(Permutation(arg, error)),
            "reshape" => new Reshape(Strings(arg, error, "reshape needs a list of sizes")
                .Select(x => SizeExpr.Parse(x, declared, error)).ToArray()),
            "pad_rows" when arg is string or long or int => new PadRows(SizeExpr.Parse(arg.ToString()!, declared, error)),
            "unstack" or "pad_rows" => throw error($"{kind} takes {(kind == "unstack" ? "no argument" : "one size")}, not {Show(arg)}"),
            _ => throw error($"unknown operation '{kind}' (unstack, split, transpose, reshape, pad_rows)"),
        };
    }

    private static string Show(object? o) => o switch
    {
        null => "nothing",
        List<object> l => $"[{string.Join(", ", l.Select(Show))}]",
        Dictionary<object, object> d => $"{{{string.Join(", ", d.Select(kv => $"{kv.Key}: {Show(kv.Value)}"))}}}",
        _ => $"'{o}'",
    };

    private static string[] Strings(object? arg, Func<string, RuleException> error, string need) =>
        arg is List<object> l && l.Count > 0 && l.All(x => x is string) ? l.Cast<string>().ToArray()
            : throw error($"{need}, not {Show(arg)}");

    private static int[] Permutation(object? arg, Func<string, RuleException> error)
    {
        var items = arg as List<object>;
        var perm = items?.Select(x => int.TryParse(x as string, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
            : -1).ToArray();
        if (perm == null || perm.Length == 0 || !perm.Order().SequenceEqual(Enumerable.Range(0, perm.Length)))
            throw error($"transpose needs a permutation of 0..n-1, not {Show(arg)}");
        return perm;
    }
}

/// <summary>An operation on one view, reversed by <see cref="Undo"/> on each slice.</summary>
public abstract record ViewOp : RuleOp
{
    /// <summary>The view as it was before this operation, whose shape then was <paramref name="before"/>.</summary>
    public abstract TensorView Undo(TensorView v, long[] before);
}

/// <summary>
/// One target per index of axis 0, named through a placeholder; reversed by stacking the targets, in the order
/// <see cref="Names"/> gives, back into axis 0.
/// </summary>
public abstract record SliceOp : RuleOp
{
    /// <summary>The names of the slices of a tensor named <paramref name="name"/> whose axis 0 has <paramref name="count"/>.</summary>
    public abstract IReadOnlyList<string> Names(string name, long count, Rule rule);

    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        views.SelectMany(v => Names(v.Name, v.Shape.Length > 0 ? v.Shape[0] : 0, rule).Select((n, i) => v.Take(i, n))).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, Rule rule) => before[1..];
}

/// <summary>One target per index of axis 0 (the stacked layer axis), named by '{i}'.</summary>
public sealed record Unstack : SliceOp
{
    public override string Label => "unstack";

    public override IReadOnlyList<string> Names(string name, long count, Rule rule) =>
        Enumerable.Range(0, (int)count).Select(i => name.Replace("{i}", i.ToString(CultureInfo.InvariantCulture))).ToList();
}

/// <summary>One target per index of axis 0, named by the list through '{part}'.</summary>
public sealed record Split(IReadOnlyList<string> Parts) : SliceOp
{
    public override string Label => $"split [{string.Join(", ", Parts)}]";

    public override IReadOnlyList<string> Names(string name, long count, Rule rule) =>
        Parts.Count == count ? Parts.Select(p => name.Replace("{part}", p)).ToList()
            : throw rule.Error($"split into {Parts.Count} parts but axis 0 has {count}", Label);
}

/// <summary>Axes permuted as numpy's transpose; undone by the inverse permutation.</summary>
public sealed record Transpose(int[] Perm) : ViewOp
{
    public override string Label => $"transpose [{string.Join(", ", Perm)}]";

    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        views.Select(v => v.LogicalShape.Length == Perm.Length ? v.Transpose(Perm)
            : throw rule.Error($"transpose of {Perm.Length} axes on '{v.Source.Name}' of shape {Shape.Format(v.LogicalShape)}",
                Label)).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        before.Length == Perm.Length ? Perm.Select(p => before[p]).ToArray()
            : throw rule.Error($"transpose of {Perm.Length} axes on shape {Shape.Format(before)}", Label);

    public override TensorView Undo(TensorView v, long[] before)
    {
        var inverse = new int[Perm.Length];
        for (int i = 0; i < Perm.Length; i++) inverse[Perm[i]] = i;
        return v.Transpose(inverse);
    }
}

/// <summary>Row-major reshape to sizes (symbols and products such as 'K*H'); undone by reshaping back.</summary>
public sealed record Reshape(IReadOnlyList<SizeExpr> Sizes) : ViewOp
{
    public override string Label => $"reshape [{string.Join(", ", Sizes)}]";

    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        views.Select(v => v.Reshape(ShapeAfter(v.Shape, sizes, rule))).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        Sizes.Select(x => x.Eval(sizes)).ToArray();

    public override TensorView Undo(TensorView v, long[] before) => v.Reshape(before);
}

/// <summary>Rows appended up to a size, each the mean of the real rows; undone by keeping the first rows.</summary>
public sealed record PadRows(SizeExpr Rows) : ViewOp
{
    public override string Label => $"pad_rows {Rows}";

    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        views.Select(v => Pad(v, Rows.Eval(sizes))).ToList();

    private static TensorView Pad(TensorView v, long rows)
    {
        if (v.Relabelled != null || v.Shape.Length != 2 || rows < v.Shape[0])
            throw new BadInputException(v.Source.Data.File.Path, $"{v.Source.Data.File.Path}: tensor '{v.Source.Name}': cannot pad " +
                $"{Shape.Format(v.LogicalShape)} to {rows} rows", v.Source.Name);
        return rows == v.Shape[0] ? v : v with { PadRowsTo = rows };
    }

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, Rule rule) =>
        [Rows.Eval(sizes), .. before[1..]];

    public override TensorView Undo(TensorView v, long[] before) => v.TakeRows(before[0]);
}
