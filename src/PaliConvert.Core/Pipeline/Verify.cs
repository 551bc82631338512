using PaliConvert.Export;
using PaliConvert.IO;
using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Validation;
using PaliConvert.Validation.Weights;

namespace PaliConvert.Pipeline;

public sealed record VerifyOptions(string Source, string Target, string? Inputs = null, string MaskKey = "mask_ar",
    LogitTolerance? Tolerance = null, int Seed = 0,
    VerifyEngine Engine = VerifyEngine.Reference, string? MappingsFolder = null, StatedFacts? Stated = null, OnnxDType? DType = null,
    bool ProveWeights = true, bool CompareLogits = true, IReadOnlyList<GenerationInput>? Generations = null)
{
    /// <summary>A PEFT adapter folder applied to the source: the original is base + adapter, the target a merge of them.</summary>
    public string? Adapter { get; init; }
}

/// <summary>Runs the reference forward pass on both models over the same inputs and compares their logits.</summary>
public static class Verify
{
    /// <summary>
    /// The source always runs in the reference forward pass. The target runs there too (engine "reference"), or in
    /// ONNX Runtime: an .onnx target as it is, a checkpoint target exported to a temporary folder first ("onnx").
    /// </summary>
    public static VerifyReport Run(VerifyOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        if (o.Adapter != null && o.MappingsFolder == null) throw new InvalidOperationException("an adapter needs the mappings folder");
        using var source = LoadedModel.Open(o.Source, o.Stated, scope,
            o.Adapter != null ? new AdapterInput(o.Adapter, o.MappingsFolder!) : null);
        var sa = source.Weights.Arch;
        bool onnx = o.Engine == VerifyEngine.Onnx || ModelLogits.IsOnnx(o.Target);
        using var target = onnx ? null : LoadedModel.Open(o.Target, o.Stated, scope);
        if (target != null)
        {
            var ta = target.Weights.Arch;
            if (sa.Family != ta.Family || sa.Vision.Tokens != ta.Vision.Tokens || sa.Decoder.Width != ta.Decoder.Width
                || sa.Decoder.Layers != ta.Decoder.Layers)
                throw new ModelMismatchException(o.Source, o.Target, "architecture", $"the models differ in architecture: {o.Source} is " +
                    $"{sa.Name} at {sa.Vision.ImageSize} " +
                    $"px, width {sa.Decoder.Width}, {sa.Decoder.Layers} layers; {o.Target} is {ta.Name} at {ta.Vision.ImageSize} px, " +
                        $"width {ta.Decoder.Width}, {ta.Decoder.Layers} layers");
        }
        // the weights first: a lossy target's logits cannot tell rounding from a wrong tensor, the bytes can
        var weights = o.ProveWeights && o.MappingsFolder != null
            ? WeightsProof.Run(source.Checkpoint, sa, o.Target, o.MappingsFolder, o.DType, source.Adapter) : null;
        var tolerance = (o.Tolerance ?? LogitTolerance.Default).For(Expected(o, weights, onnx));
        if (!o.CompareLogits) return WeightsOnly(o, sa, target, weights, tolerance);
        var inputs = o.Inputs != null
            ? InputsFile.Load(o.Inputs, o.MaskKey)
            : InputsFile.Random(sa.Vision.ImageSize, Math.Min(source.TextVocab, target?.TextVocab ?? int.MaxValue), o.Seed);
        var a = new PaliGemmaForward(source.Weights, Scaled(progress, 0)).Run(inputs);
        var (logits, vocab, targetFacts) = target != null ? Reference(target) : OnnxLogits(o, inputs, scope);
        if (Math.Min(vocab, a.Vocab) < source.TextVocab)
            throw new ModelMismatchException(o.Source, o.Target, "vocabulary", $"{o.Target}'s logits cover {vocab} vocabulary entries " +
                $"and {o.Source}'s {a.Vocab}, fewer than the source's {source.TextVocab} text tokens: not the same model");
        var (summary, positions) = LogitComparison.Compare(a.Logits, a.Vocab, logits, vocab, inputs.Batch, inputs.TextLength,
            tolerance);
        string engine = onnx ? "ONNX Runtime" : "reference forward pass";
        var said = new List<GenerationCheck>();
        if (o.Generations is { Count: > 0 })
        {
            using var reference = target == null && !ModelLogits.IsOnnx(o.Target) ? LoadedModel.Open(o.Target, o.Stated, scope) : null;
            foreach (var g in o.Generations)
                said.Add(VerifyGeneration.Run(g, source, o.Source, target ?? reference, o.Target, o.DType, tolerance));
        }
        var facts = ModelFacts.Compare(sa.Facts(), targetFacts);

        (float[], int, IReadOnlyList<(string, string)>) Reference(LoadedModel m)
        {
            var r = new PaliGemmaForward(m.Weights, Scaled(progress, 0.5)).Run(inputs);
            return (r.Logits, r.Vocab, m.Weights.Arch.Facts());
        }
        return new VerifyReport(o.Source, o.Target, o.Inputs ?? $"random (seed {o.Seed}, 8 prefix + 4 suffix tokens)", engine, summary,
            positions, tolerance)
        {
            Weights = weights,
            Generations = said,
            Facts = facts,
            FactsSources = [sa.FactsSource,
                target?.Weights.Arch.FactsSource ?? (ModelLogits.IsOnnx(o.Target) ? o.Target : "the target's export")],
        };
    }

    /// <summary>
    /// The target in ONNX Runtime (an .onnx file or split folder as it is, a checkpoint exported to a temporary folder
    /// first), with the facts it was exported with, from its metadata; a model that states none is compared on logits.
    /// </summary>
    private static (float[] logits, int vocab, IReadOnlyList<(string, string)> facts) OnnxLogits(VerifyOptions o, ModelInputs inputs,
        RunScope scope)
    {
        if (ModelLogits.IsOnnx(o.Target)) return WithFacts(o.Target);
        var folder = Path.Combine(Path.GetTempPath(), $"paliconvert-verify-{Guid.NewGuid():N}");
        try
        {
            var mappings = o.MappingsFolder ?? throw new InvalidOperationException("the mappings folder is needed to export an .npz");
            var weights = new OnnxWeights(o.DType ?? OnnxDType.Fp32);
            ExportOnnx.Run(new ExportOnnxOptions(o.Target, folder, mappings, weights, Stated: o.Stated), scope: scope);
            return WithFacts(Path.Combine(folder, OnnxLayout.ModelFile));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }

        (float[], int, IReadOnlyList<(string, string)>) WithFacts(string model)
        {
            var (logits, vocab) = OnnxRunner.Run(model, inputs, o.DType);
            return (logits, vocab, OnnxFacts(model, o.DType) ?? []);
        }
    }

    /// <summary>The facts and the weights alone: no forward pass (a quick check of a conversion's bytes).</summary>
    private static VerifyReport WeightsOnly(VerifyOptions o, PaliGemmaArch sa, LoadedModel? target, WeightsReport? weights,
        LogitTolerance tolerance)
    {
        var targetFacts = target?.Weights.Arch.Facts() ?? OnnxFacts(o.Target, o.DType) ?? [];
        var none = new ComparisonSummary(0, 0, 0, 0, 1, 1, 1, 0, 0, "logits not compared") { Passed = true };
        return new VerifyReport(o.Source, o.Target, "none", "weights only", none, [], tolerance)
        {
            Weights = weights,
            Facts = targetFacts.Count == 0 ? [] : ModelFacts.Compare(sa.Facts(), targetFacts),
            FactsSources = [sa.FactsSource, target?.Weights.Arch.FactsSource ?? o.Target],
        };
    }

    /// <summary>The facts an ONNX target (a file, a hub folder variant) records; null for a checkpoint or a foreign export.</summary>
    private static IReadOnlyList<(string, string)>? OnnxFacts(string model, OnnxDType? dtype)
    {
        if (!ModelLogits.IsOnnx(model)) return null;
        string file = OnnxLayout.IsSplitFolder(model)
            ? Path.Combine(model, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxLayout.PickDType(model, dtype))) : model;
        return ModelFacts.FromMetadata(Formats.Onnx.OnnxWriter.ReadMetadata(file));
    }

    /// <summary>
    /// The rounding the logits may show: the proved weights' encodings, and the export's when verify exports the target
    /// to run it in ONNX Runtime. Weights that could not be proved leave the bounds the user stated (or atol).
    /// </summary>
    private static Rounding Expected(VerifyOptions o, WeightsReport? weights, bool onnx)
    {
        var least = o.Adapter != null ? Rounding.Merged : Rounding.Exact; // unmerged against merged: another summation order
        if (weights is { Applicable: false }) return least;
        var proved = (Rounding)Math.Max((int)(weights?.Rounding ?? Rounding.Exact), (int)least);
        if (!onnx || ModelLogits.IsOnnx(o.Target)) return proved;
        var export = o.DType switch
        {
            OnnxDType.Fp16 => Rounding.F16,
            OnnxDType.Q8 => Rounding.Q8,
            OnnxDType.Q4 or OnnxDType.Q4F16 => Rounding.Q4,
            _ => Rounding.Exact,
        };
        return (Rounding)Math.Max((int)proved, (int)export);
    }

    private static IProgress<(string, double)>? Scaled(IProgress<(string, double)>? p, double start) =>
        p == null ? null : new Progress<(string what, double f)>(x => p.Report((x.what, start + x.f / 2)));
}
