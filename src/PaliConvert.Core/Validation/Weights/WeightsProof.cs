using PaliConvert.Export;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Onnx;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Validation.Weights;

/// <summary>
/// The first step of verify: every target tensor against the source tensor(s) it comes from through the mapping
/// rules, with exactly the encoding the target declares applied to the source (the same bytes for the same dtype,
/// round-to-nearest-even into f16/bf16, the project's quantizers run again for q8/q4/q4f16), compared bit for bit.
/// A tensor the target lacks, one the source has no rule for, or one of another shape fails too. Streamed, one
/// tensor at a time; the target's bytes are read in step with the source's.
/// </summary>
public static class WeightsProof
{
    /// <summary>The proof; with <paramref name="adapter"/> the source is the base with the adapter merged.</summary>
    public static WeightsReport Run(Checkpoint source, PaliGemmaArch arch, string target, string mappings, OnnxDType? variant = null,
        Adapters.BoundAdapter? adapter = null)
    {
        var set = RuleSet.Load(mappings); // once for the whole proof
        var rules = set.Family(arch.Family);
        if (target.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && File.Exists(target))
        {
            using var npz = NpzCheckpoint.Open(target);
            return BigVisionTarget.Prove(source, arch, npz, set, adapter);
        }
        var opened = new List<Checkpoint>();
        try
        {
            var stored = new List<StoredWeight>();
            foreach (var file in OnnxFiles(target, variant))
            {
                var ck = OnnxCheckpoint.Open(file);
                opened.Add(ck);
                stored.AddRange(StoredWeights.Onnx(ck));
            }
            if (opened.Count == 0)
            {
                var hf = KeySpelling.OpenHf(target);
                opened.Add(hf);
                stored.AddRange(StoredWeights.Plain(hf));
            }
            return ProveHfNamed(source, arch, stored, rules, set, adapter);
        }
        finally
        {
            foreach (var ck in opened) ck.Dispose();
        }
    }

    private static List<string> OnnxFiles(string target, OnnxDType? variant)
    {
        if (File.Exists(target) && target.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return [target];
        if (!OnnxLayout.IsSplitFolder(target)) return [];
        var d = OnnxLayout.PickDType(target, variant);
        return [.. new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder }.Select(n => Path.Combine(target,
            OnnxLayout.SplitFile(n, d)))];
    }

    /// <summary>Targets in Hugging Face names (an HF folder, ONNX graphs): the source's HF views, encoded as declared.</summary>
    private static WeightsReport ProveHfNamed(Checkpoint source, PaliGemmaArch arch, List<StoredWeight> stored, RuleFile rules,
        RuleSet set, Adapters.BoundAdapter? adapter)
    {
        long rows = stored.FirstOrDefault(w => w.Name == HfNames.Embedding && w.Encoding is FloatEncoding)?.Parts[0].stored.Shape[0]
            ?? arch.Decoder.Vocab;
        bool bigVision = BigVisionNames.Holds(source);
        var views = HfViews.Of(source, arch, set, bigVision ? Math.Max(rows, arch.Decoder.Vocab) : null);
        if (adapter != null) views = adapter.Apply(views);
        if (views.TryGetValue(HfNames.Embedding, out var emb) && emb.OutputShape[0] > rows && emb.PadRowsTo == 0)
            views[HfNames.Embedding] = emb.TakeRows(rows); // the target dropped the rows an HF source added past big_vision's
        long textVocab = Math.Min(arch.ImageTokenIndex, arch.Decoder.Vocab);
        var names = RuleNames.HfToBigVision(rules, rules.Symbols(Quantities.Of(arch, bigVision ? arch.Decoder.Vocab : textVocab, rows)));
        var checks = new List<WeightCheck>();
        var gather = new ViewGather();
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in stored)
        {
            string from = rules.Ties.GetValueOrDefault(w.Name, w.Name);
            names.TryGetValue(w.Name, out var bv);
            if (!views.TryGetValue(from, out var view))
            {
                checks.Add(new WeightCheck(w.Name, bv, w.Encoding.Name, 0, 0, 0, Problem: "not in the source: no rule makes it",
                    File: w.File));
                continue;
            }
            covered.Add(from);
            checks.Add(Compare(w, view, bv, arch, gather));
        }
        foreach (var missing in views.Keys.Where(n => !covered.Contains(n)).Order(StringComparer.Ordinal))
            checks.Add(new WeightCheck(missing, names.GetValueOrDefault(missing), "", 0, 0, 0,
                Problem: "missing from the target", File: stored.FirstOrDefault()?.File));
        return new WeightsReport(checks, source.DTypes.ToList());
    }

    private static WeightCheck Compare(StoredWeight w, TensorView source, string? bv, PaliGemmaArch arch, ViewGather gather)
    {
        var expected = w.Encoding.Encode(source);
        long elements = 0, differing = 0;
        double max = 0;
        var where = new List<string>();
        foreach (var (suffix, data) in expected)
        {
            var part = w.Parts.FirstOrDefault(p => p.suffix == suffix).stored;
            if (part == null)
                return new WeightCheck(w.Name, bv, w.Encoding.Name, 0, 0, 0, Problem: $"its part '{w.Name}{suffix}' is missing",
                    File: w.File);
            if (part.DType != data.DType || !Shape.Equal(part.Shape, data.Shape))
                return new WeightCheck(w.Name, bv, w.Encoding.Name, 0, 0, 0, File: w.File, Problem: $"'{part.Name}' is " +
                    $"{part.DType.Label()} {Shape.Format(part.Shape)}, the source makes {data.DType.Label()} {Shape.Format(data.Shape)}");
            // a padded vocabulary's rows past the source's are its mean row (the rule's pad_rows), however summed
            long meanFrom = suffix == "" && source.PadRowsTo > 0 ? source.Shape[0] * Shape.Elements(source.OutputShape[1..])
                : long.MaxValue;
            var cmp = new ByteComparer(part) { MeanFrom = meanFrom, Merged = source.Delta != null };
            data.Write(gather, cmp);
            if (cmp.Written != part.ByteLength) throw new InvalidOperationException($"{part.Name}: {cmp.Written} bytes compared");
            elements += part.Elements;
            differing += cmp.Differing;
            if (part.DType.IsFloat()) max = Math.Max(max, cmp.NaN ? double.NaN : cmp.MaxAbsDiff); // codes differ by count alone
            if (cmp.Differing > 0 && where.Count == 0)
                where.Add(DifferenceLocation.Hf(w.Name, cmp, suffix == Q8Encoding.Codes ? 1 : 0,
                    suffix == "" && part.Shape.Length == 2 ? 1 : suffix == Q8Encoding.Codes ? 0 : null, arch));
        }
        if (w.Parts.Count > expected.Count)
            return new WeightCheck(w.Name, bv, w.Encoding.Name, 0, 0, 0, File: w.File, Problem: "holds parts its encoding does not make");
        return new WeightCheck(w.Name, bv, w.Encoding.Name, elements, differing, max, where.Count > 0 ? where[0] : null, File: w.File,
            Rounding: w.Encoding.Rounding(source.Source.DType));
    }
}
