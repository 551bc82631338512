using PaliConvert.Formats.Npz;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Validation.Weights;

/// <summary>
/// The weights proof for a big_vision .npz target: each of its tensors against the source in big_vision's layout,
/// an .npz source's tensor as it is, an HF source's tensors through the rules run backwards (hf2jax's slices), in
/// the target's dtype.
/// </summary>
internal static class BigVisionTarget
{
    public static WeightsReport Prove(Checkpoint source, PaliGemmaArch arch, NpzCheckpoint target, RuleSet rules,
        Adapters.BoundAdapter? adapter)
    {
        var expected = new Dictionary<string, (long[] shape, List<TensorView> slices)>(StringComparer.Ordinal);
        bool bigVision = BigVisionNames.Holds(source);
        if (bigVision && adapter == null)
            foreach (var t in source.Tensors) expected[t.Name] = (t.Shape, [TensorView.Of(t)]);
        else // through HF names (with the adapter merged there) and the rules run backwards
        {
            long rows = arch.Decoder.Vocab;
            var quantities = Quantities.Of(arch, Math.Min(arch.ImageTokenIndex, rows), rows);
            var hf = bigVision ? HfViews.FromBigVision(source, arch, rules, rows).views.ToDictionary(v => v.Name, StringComparer.Ordinal)
                : source.Tensors.ToDictionary(t => t.Name, TensorView.Of, StringComparer.Ordinal);
            var views = adapter?.Apply(hf) ?? hf;
            var (_, plan) = rules.Apply(arch.Family, f => RuleInverse.Fit(f, source.Path, views, f.Symbols(quantities)));
            foreach (var t in plan) expected[t.Name] = (t.Shape, t.Slices);
        }
        var checks = new List<WeightCheck>();
        var gather = new ViewGather();
        foreach (var t in target.Tensors)
        {
            if (!expected.TryGetValue(t.Name, out var e))
            {
                checks.Add(new WeightCheck(t.Name, null, t.DType.Label(), 0, 0, 0, Problem: "not in the source: no rule makes it",
                    File: target.Path));
                continue;
            }
            var (shape, slices) = e;
            if (!Shape.Equal(shape, t.Shape))
            {
                checks.Add(new WeightCheck(t.Name, null, t.DType.Label(), 0, 0, 0, File: target.Path,
                    Problem: $"shape {Shape.Format(t.Shape)}, the source makes {Shape.Format(shape)}"));
                continue;
            }
            var cmp = new ByteComparer(t) { Merged = slices.Any(s => s.Delta != null) };
            foreach (var s in slices) gather.Write(s, t.DType, cmp);
            string? where = cmp.Differing > 0 ? DifferenceLocation.BigVision(t.Name, cmp) : null;
            checks.Add(new WeightCheck(t.Name, slices[0].Source.Name == t.Name ? null : HfSpelling(slices), t.DType.Label(),
                t.Elements, cmp.Differing, cmp.NaN ? double.NaN : cmp.MaxAbsDiff, where, File: target.Path,
                Rounding: slices.Select(s => Roundings.Float(s.Source.DType, t.DType)).Max()));
        }
        foreach (var missing in expected.Keys.Where(n => target.Find(n) == null).Order(StringComparer.Ordinal))
            checks.Add(new WeightCheck(missing, null, "", 0, 0, 0, Problem: "missing from the target", File: target.Path));
        return new WeightsReport(checks, source.DTypes.ToList());
    }

    private static string HfSpelling(List<TensorView> slices) =>
        slices.Count == 1 ? slices[0].Source.Name : $"{slices[0].Source.Name} .. {slices[^1].Source.Name}";
}
