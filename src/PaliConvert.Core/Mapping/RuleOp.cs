using System.Globalization;
using PaliConvert.Tensors;

namespace PaliConvert.Mapping;

/// <summary>
/// One operation of a rule, parsed once from YAML, with its forward (on views) and its inverse. unstack and split come
/// first and become stacking going back; the others are undone on each slice in reverse order.
/// </summary>
public abstract record RuleOp
{
    public abstract List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, string where);

    /// <summary>The shape this operation gives a tensor of shape <paramref name="before"/> (for running backwards).</summary>
    public abstract long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, string where);

    /// <summary>The view as it was before this operation, whose shape then was <paramref name="before"/>.</summary>
    public abstract TensorView Undo(TensorView v, long[] before);

    public static RuleOp Parse(object yaml, string where)
    {
        var (kind, arg) = yaml switch
        {
            string s => (s, (object?)null),
            Dictionary<object, object> d when d.Count == 1 => (d.Keys.First().ToString()!, d.Values.First()),
            _ => throw new InvalidDataException($"{where}: operation {Show(yaml)} is not understood (unstack, split, transpose, " +
                $"reshape, pad_rows)"),
        };
        return kind switch
        {
            "unstack" when arg == null => new Unstack(),
            "split" => new Split(Strings(arg, where, "split needs a list of part names")),
            "transpose" => new Transpose(Permutation(arg, where)),
            "reshape" => new Reshape(Strings(arg, where, "reshape needs a list of sizes")),
            "pad_rows" when arg is string or long or int => new PadRows(arg.ToString()!),
            "unstack" or "pad_rows" => throw new InvalidDataException($"{where}: {kind} takes " +
                $"{(kind == "unstack" ? "no argument" : "one size")}, not {Show(arg)}"),
            _ => throw new InvalidDataException($"{where}: unknown operation '{kind}' (unstack, split, transpose, reshape, pad_rows)"),
        };
    }

    private static string Show(object? o) => o switch
    {
        null => "nothing",
        List<object> l => $"[{string.Join(", ", l.Select(Show))}]",
        Dictionary<object, object> d => $"{{{string.Join(", ", d.Select(kv => $"{kv.Key}: {Show(kv.Value)}"))}}}",
        _ => $"'{o}'",
    };

    private static string[] Strings(object? arg, string where, string need) =>
        arg is List<object> l && l.Count > 0 && l.All(x => x is string) ? l.Cast<string>().ToArray()
            : throw new InvalidDataException($"{where}: {need}, not {Show(arg)}");

    private static int[] Permutation(object? arg, string where)
    {
        var items = arg as List<object>;
        var perm = items?.Select(x => int.TryParse(x as string, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
            : -1).ToArray();
        if (perm == null || perm.Length == 0 || !perm.Order().SequenceEqual(Enumerable.Range(0, perm.Length)))
            throw new InvalidDataException($"{where}: transpose needs a permutation of 0..n-1, not {Show(arg)}");
        return perm;
    }

    protected static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One target per index of axis 0 (the stacked layer axis), named by '{i}'.</summary>
public sealed record Unstack : RuleOp
{
    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, string where) =>
        views.SelectMany(v => Enumerable.Range(0, (int)v.Shape[0]).Select(i => v.Take(i, v.Name.Replace("{i}", Index(i))))).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, string where) => before[1..];
    public override TensorView Undo(TensorView v, long[] before) => throw new InvalidOperationException("unstack is undone by stacking");
}

/// <summary>One target per index of axis 0, named by the list through '{part}'.</summary>
public sealed record Split(IReadOnlyList<string> Parts) : RuleOp
{
    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, string where) =>
        views.SelectMany(v => Parts.Count == v.Shape[0]
            ? Parts.Select((p, j) => v.Take(j, v.Name.Replace("{part}", p)))
            : throw new InvalidDataException($"{v.Source.Data.File.Path}: tensor '{v.Source.Name}': split into {Parts.Count} parts but " +
                $"axis 0 of {Shape.Format(v.Shape)} " +
                $"has {v.Shape[0]}")).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, string where) => before[1..];
    public override TensorView Undo(TensorView v, long[] before) => throw new InvalidOperationException("split is undone by stacking");
}

/// <summary>Axes permuted as numpy's transpose; undone by the inverse permutation.</summary>
public sealed record Transpose(int[] Perm) : RuleOp
{
    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, string where) =>
        views.Select(v => v.LogicalShape.Length == Perm.Length ? v.Transpose(Perm)
            : throw new InvalidDataException($"{where}: transpose of {Perm.Length} axes on '{v.Source.Name}' of shape " +
                $"{Shape.Format(v.LogicalShape)}")).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, string where) =>
        before.Length == Perm.Length ? Perm.Select(p => before[p]).ToArray()
            : throw new InvalidDataException($"{where}: transpose of {Perm.Length} axes on shape {Shape.Format(before)}");

    public override TensorView Undo(TensorView v, long[] before)
    {
        var inverse = new int[Perm.Length];
        for (int i = 0; i < Perm.Length; i++) inverse[Perm[i]] = i;
        return v.Transpose(inverse);
    }
}

/// <summary>Row-major reshape to sizes (symbols and products such as 'K*H'); undone by reshaping back.</summary>
public sealed record Reshape(IReadOnlyList<string> Sizes) : RuleOp
{
    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, string where) =>
        views.Select(v => v.Reshape(ShapeAfter(v.Shape, sizes, where))).ToList();

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, string where) =>
        Sizes.Select(x => SizeExpr.Eval(x, sizes, where)).ToArray();

    public override TensorView Undo(TensorView v, long[] before) => v.Reshape(before);
}

/// <summary>Rows appended up to a size, each the mean of the real rows; undone by keeping the first rows.</summary>
public sealed record PadRows(string Rows) : RuleOp
{
    public override List<TensorView> Forward(List<TensorView> views, IReadOnlyDictionary<string, long> sizes, string where) =>
        views.Select(v => Pad(v, SizeExpr.Eval(Rows, sizes, where))).ToList();

    private static TensorView Pad(TensorView v, long rows)
    {
        if (v.Relabelled != null || v.Shape.Length != 2 || rows < v.Shape[0])
            throw new InvalidDataException($"{v.Source.Data.File.Path}: tensor '{v.Source.Name}': cannot pad " +
                $"{Shape.Format(v.LogicalShape)} to {rows} rows");
        return rows == v.Shape[0] ? v : v with { PadRowsTo = rows };
    }

    public override long[] ShapeAfter(long[] before, IReadOnlyDictionary<string, long> sizes, string where) =>
        [SizeExpr.Eval(Rows, sizes, where), .. before[1..]];

    public override TensorView Undo(TensorView v, long[] before) => v.TakeRows(before[0]);
}
