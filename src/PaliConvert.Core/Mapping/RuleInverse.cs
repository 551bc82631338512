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
    public static List<InverseTensor> Apply(RuleFile rules, Checkpoint hf, IReadOnlyDictionary<string, long> symbols)
    {
        var result = new List<InverseTensor>();
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules.Rules)
        {
            string where = $"rule '{rule.From}'";
            if (rule.When != null && !Holds(rule.When, symbols, where)) continue;
            if (rule.Shape == null) throw new InvalidDataException($"{where}: a rule needs 'shape' to run backwards");
            var shape = rule.Shape.Select(x => SizeExpr.Eval(x, symbols, where)).ToArray();
            var (names, sliceShape, rest) = Slices(rule, shape, where);
            var before = ShapesBefore(rest, sliceShape, symbols, where);
            var final = before[^1];
            var found = names.Select(n => hf.Find(n)).ToList();
            var missing = names.Where((n, k) => found[k] == null).ToList();
            if (missing.Count == names.Count && rule.Optional) continue;
            if (missing.Count > 0)
                throw new InvalidDataException($"{hf.Path}: tensor '{missing[0]}' is " +
                    $"missing{(missing.Count > 1 ? $" (and {missing.Count - 1} more)" : "")}; the rule for '{rule.From}' needs it");
            var slices = new List<TensorView>();
            foreach (var h in found)
            {
                if (!Shape.Equal(h!.Shape, final))
                    throw new InvalidDataException($"{hf.Path}: tensor '{h.Name}' has shape {Shape.Format(h.Shape)} but the " +
                        $"configuration implies {Shape.Format(final)}");
                consumed.Add(h.Name);
                slices.Add(Undo(TensorView.Of(h), rest, before));
            }
            result.Add(new InverseTensor(rule.From, shape, slices));
        }
        foreach (var (tied, partner) in rules.Ties)
        {
            if (hf.Find(tied) is not { } t) continue;
            var p = hf.Find(partner) ?? throw new InvalidDataException($"{hf.Path}: '{tied}' is tied to '{partner}', which is missing");
            if (!SameValues(t, p))
                throw new InvalidDataException($"{hf.Path}: '{tied}' should be tied to '{partner}' but their values differ; this model " +
                    $"is not tied and big_vision cannot hold it");
            consumed.Add(tied);
        }
        var unused = hf.Tensors.Select(t => t.Name).Where(n => !consumed.Contains(n) && !rules.Skip.Contains(n)).ToList();
        if (unused.Count > 0)
            throw new InvalidDataException($"{hf.Path}: {unused.Count} tensor(s) that no rule of '{rules.Name}' maps back: " +
                $"{string.Join(", ", unused.Take(10))}");
        return result;
    }

    /// <summary>Target names in big_vision order (layer-major, then part), one slice's shape, and the other operations.</summary>
    private static (List<string> names, long[] sliceShape, List<RuleOp> rest) Slices(Rule rule, long[] shape, string where)
    {
        var names = new List<string> { rule.To };
        var s = shape;
        int k = 0;
        var ops = rule.Steps;
        if (k < ops.Count && ops[k] is Unstack)
        {
            long n = s[0];
            names = names.SelectMany(x => Enumerable.Range(0,
                (int)n).Select(i => x.Replace("{i}", i.ToString(CultureInfo.InvariantCulture)))).ToList();
            s = s[1..];
            k++;
        }
        if (k < ops.Count && ops[k] is Split split)
        {
            if (split.Parts.Count != s[0])
                throw new InvalidDataException($"{where}: split into {split.Parts.Count} parts but axis 0 of {Shape.Format(s)} has {s[0]}");
            names = names.SelectMany(x => split.Parts.Select(p => x.Replace("{part}", p))).ToList();
            s = s[1..];
            k++;
        }
        var rest = ops.Skip(k).ToList();
        if (rest.Any(o => o is Unstack or Split))
            throw new InvalidDataException($"{where}: unstack and split must come first (in that order) for the rule to run backwards");
        return (names, s, rest);
    }

    private static List<long[]> ShapesBefore(List<RuleOp> ops, long[] start, IReadOnlyDictionary<string, long> symbols, string where)
    {
        var shapes = new List<long[]> { start };
        foreach (var op in ops) shapes.Add(op.ShapeAfter(shapes[^1], symbols, where));
        return shapes;
    }

    private static TensorView Undo(TensorView v, List<RuleOp> ops, List<long[]> before)
    {
        for (int k = ops.Count - 1; k >= 0; k--) v = ops[k].Undo(v, before[k]);
        return v;
    }

    /// <summary>'A == B' or 'A != B' over sizes.</summary>
    public static bool Holds(string condition, IReadOnlyDictionary<string, long> symbols, string where)
    {
        foreach (var (op, eq) in new[] { ("==", true), ("!=", false) })
        {
            int at = condition.IndexOf(op, StringComparison.Ordinal);
            if (at < 0) continue;
            bool equal = SizeExpr.Eval(condition[..at].Trim(), symbols, where) == SizeExpr.Eval(condition[(at + 2)..].Trim(), symbols,
                where);
            return equal == eq;
        }
        throw new InvalidDataException($"{where}: condition '{condition}' is not 'A == B' or 'A != B'");
    }

    private static bool SameValues(TensorInfo a, TensorInfo b)
    {
        if (!Shape.Equal(a.Shape, b.Shape)) return false;
        const int Chunk = 1 << 16;
        var fa = new float[Chunk];
        var fb = new float[Chunk];
        for (long i = 0; i < a.Elements; i += Chunk)
        {
            int n = (int)Math.Min(Chunk, a.Elements - i);
            a.ReadF32(i, fa.AsSpan(0, n));
            b.ReadF32(i, fb.AsSpan(0, n));
            if (!fa.AsSpan(0, n).SequenceEqual(fb.AsSpan(0, n))) return false;
            a.Data.Release(i * a.DType.Size(), (long)n * a.DType.Size());
            b.Data.Release(i * b.DType.Size(), (long)n * b.DType.Size());
        }
        return true;
    }
}
