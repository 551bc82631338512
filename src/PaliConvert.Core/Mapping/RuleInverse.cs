using System.Globalization;
using PaliConvert.Tensors;

namespace PaliConvert.Mapping;

/// <summary>One big_vision tensor rebuilt from Hugging Face tensors: its slices along the leading axes, in order.</summary>
public sealed record InverseTensor(string Name, long[] Shape, List<TensorView> Slices);

/// <summary>
/// Runs a rule file backwards. unstack and split become stacking: the slices of a big_vision tensor along its
/// leading (layer, part) axes are contiguous, so it is written slice after slice. Each slice is its HF tensor with
/// the remaining operations undone in reverse order: reshape back, transpose by the inverse permutation, trim
/// padded rows. Coverage is checked as going forward; tied targets are checked equal to their partner and dropped.
/// </summary>
public static class RuleInverse
{
    public static List<InverseTensor> Apply(RuleFile rules, Checkpoint hf, IReadOnlyDictionary<string, long> symbols) =>
        Fit(rules, hf, symbols).Checked();

    public static RuleFit<List<InverseTensor>> Fit(RuleFile rules, Checkpoint hf, IReadOnlyDictionary<string, long> symbols) =>
        Fit(rules, hf.Path, hf.Tensors.ToDictionary(t => t.Name, TensorView.Of, StringComparer.Ordinal), symbols);

    /// <summary>The rules run backwards over Hugging Face tensors given as views (a checkpoint's, or with an adapter merged).</summary>
    public static RuleFit<List<InverseTensor>> Fit(RuleFile rules, string path, IReadOnlyDictionary<string, TensorView> hf,
        IReadOnlyDictionary<string, long> symbols)
    {
        var result = new List<InverseTensor>();
        var problems = new List<BadInputException>();
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules.Rules)
        {
            if (rule.When != null && !rule.When.Holds(symbols)) continue;
            var shape = rule.ExpectedShape(symbols) ?? throw rule.Error("a rule needs 'shape' to run backwards");
            var (names, sliceShape, rest) = Slices(rule, shape);
            var before = ShapesBefore(rest, sliceShape, symbols, rule);
            var final = before[^1];
            var found = names.Select(n => hf.GetValueOrDefault(n)).ToList();
            var missing = names.Where((n, k) => found[k] == null).ToList();
            if (missing.Count == names.Count && rule.Optional) continue;
            if (missing.Count > 0)
            {
                problems.Add(new BadInputException(path, $"{path}: tensor '{missing[0]}' is " +
                    $"missing{(missing.Count > 1 ? $" (and {missing.Count - 1} more)" : "")}; the rule for '{rule.From}' needs it",
                    missing[0]));
                continue;
            }
            var slices = new List<TensorView>();
            foreach (var h in found)
            {
                consumed.Add(h!.Name);
                if (!Shape.Equal(h.OutputShape, final))
                    problems.Add(new BadInputException(path, $"{path}: tensor '{h.Name}' has shape {Shape.Format(h.OutputShape)} but " +
                        $"the configuration implies {Shape.Format(final)}", h.Name));
                else slices.Add(Undo(h, rest, before));
            }
            result.Add(new InverseTensor(rule.From, shape, slices));
        }
        foreach (var (tied, partner) in rules.Ties)
        {
            if (hf.GetValueOrDefault(tied) is not { } t) continue;
            consumed.Add(tied);
            var p = hf.GetValueOrDefault(partner);
            if (p == null)
                problems.Add(new BadInputException(path, $"{path}: '{tied}' is tied to '{partner}', which is missing", partner));
            else if (!SameValues(t, p))
                problems.Add(new BadInputException(path, $"{path}: '{tied}' should be tied to '{partner}' but their values " +
                    $"differ; this model is not tied and big_vision cannot hold it", tied));
        }
        var unused = hf.Keys.Where(n => !consumed.Contains(n) && !rules.Skip.Contains(n)).ToList();
        if (unused.Count > 0)
            problems.Add(new BadInputException(path, $"{path}: {unused.Count} tensor(s) that no rule of '{rules.Name}' maps back: " +
                $"{string.Join(", ", unused.Take(10))}", unused[0]));
        return new RuleFit<List<InverseTensor>>(rules, result, problems);
    }

    /// <summary>
    /// Target names in big_vision order (layer-major, then part), one slice's shape, and the other operations: the
    /// slicing operations reversed are a stacking of the named targets.
    /// </summary>
    private static (List<string> names, long[] sliceShape, List<ViewOp> rest) Slices(Rule rule, long[] shape)
    {
        var (targets, s, k) = rule.Slices(shape);
        var rest = rule.Steps.Skip(k).ToList();
        if (rest.Any(o => o is SliceOp))
            throw rule.Error("unstack and split must come first for the rule to run backwards");
        return (targets.Select(t => t.name).ToList(), s, rest.Cast<ViewOp>().ToList());
    }

    private static List<long[]> ShapesBefore(List<ViewOp> ops, long[] start, IReadOnlyDictionary<string, long> symbols, Rule rule)
    {
        var shapes = new List<long[]> { start };
        foreach (var op in ops) shapes.Add(op.ShapeAfter(shapes[^1], symbols, rule));
        return shapes;
    }

    private static TensorView Undo(TensorView v, List<ViewOp> ops, List<long[]> before)
    {
        for (int k = ops.Count - 1; k >= 0; k--) v = ops[k].Undo(v, before[k]);
        return v;
    }
    private static bool SameValues(TensorView a, TensorView b)
    {
        if (!Shape.Equal(a.OutputShape, b.OutputShape)) return false;
        bool same = true;
        ViewPairs.Read(a, b, (_, x, y) => same &= x.SequenceEqual(y));
        return same;
    }
}
