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
    /// ONNX Runtime: an .onnx target as it is, a checkpoint target exported to a temporary folder first ("onnx"). The
    /// passes run on a thread of their own while this one proves the weights; with <paramref name="makeTarget"/> (a
    /// conversion that writes the target and returns its path) the source's pass runs while the target is written, so
    /// the disk and the cores work at once, and random inputs are drawn from the source's text vocabulary.
    /// </summary>
    public static VerifyReport Run(VerifyOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null,
        Func<string>? makeTarget = null)
    {
        scope ??= new RunScope();
        if (o.Adapter != null && o.MappingsFolder == null) throw new InvalidOperationException("an adapter needs the mappings folder");
        using var source = LoadedModel.Open(o.Source, o.Stated, scope,
            o.Adapter != null ? new AdapterInput(o.Adapter, o.MappingsFolder!) : null);
        var sa = source.Weights.Arch;
        LoadedModel? target = makeTarget == null ? OpenTarget(o, source, scope) : null;
        try
        {
            var inputs = !o.CompareLogits ? null : o.Inputs != null ? InputsFile.Load(o.Inputs, o.MaskKey)
                : InputsFile.Random(sa.Vision.ImageSize, Math.Min(source.TextVocab, target?.TextVocab ?? int.MaxValue), o.Seed);
            var ready = new TaskCompletionSource<VerifyPasses.Ready>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var passes = inputs == null ? null : VerifyPasses.Start(source, inputs, ready.Task, progress, scope);
            if (makeTarget != null)
            {
                o = o with { Target = makeTarget() };
                // the conversion's buffers are garbage now: returned to the system before the proof takes its own
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                target = OpenTarget(o, source, scope);
            }
            ready.SetResult(new VerifyPasses.Ready(o, target));
            // the weights first: a lossy target's logits cannot tell rounding from a wrong tensor, the bytes can (proved
            // here while the passes run, the proof still sets their bound, and its failure is the one reported)
            var weights = o.ProveWeights && o.MappingsFolder != null
                ? WeightsProof.Run(source.Checkpoint, sa, o.Target, o.MappingsFolder, o.DType, source.Adapter) : null;
            var tolerance = (o.Tolerance ?? LogitTolerance.Default).For(Expected(o, weights, target == null));
            if (passes == null) return WeightsOnly(o, sa, target, weights, tolerance);
            return Compared(o, source, target, inputs!, passes.Result, weights, tolerance, scope);
        }
        finally
        {
            target?.Dispose();
        }
    }

    /// <summary>The target as a checkpoint, checked to be the source's architecture; null when ONNX Runtime runs it.</summary>
    private static LoadedModel? OpenTarget(VerifyOptions o, LoadedModel source, RunScope scope)
    {
        if (o.Engine == VerifyEngine.Onnx || ModelLogits.IsOnnx(o.Target)) return null;
        var target = LoadedModel.Open(o.Target, o.Stated, scope);
        var (sa, ta) = (source.Weights.Arch, target.Weights.Arch);
        if (sa.Family == ta.Family && sa.Vision.Tokens == ta.Vision.Tokens && sa.Decoder.Width == ta.Decoder.Width
            && sa.Decoder.Layers == ta.Decoder.Layers) return target;
        target.Dispose();
        throw new ModelMismatchException(o.Source, o.Target, "architecture", $"the models differ in architecture: {o.Source} is " +
            $"{sa.Name} at {sa.Vision.ImageSize} px, width {sa.Decoder.Width}, {sa.Decoder.Layers} layers; {o.Target} is " +
            $"{ta.Name} at {ta.Vision.ImageSize} px, width {ta.Decoder.Width}, {ta.Decoder.Layers} layers");
    }

    /// <summary>The report from both passes' logits, the proved weights and the bound they set.</summary>
    private static VerifyReport Compared(VerifyOptions o, LoadedModel source, LoadedModel? target, ModelInputs inputs,
        VerifyPasses p, WeightsReport? weights, LogitTolerance tolerance, RunScope scope)
    {
        var sa = source.Weights.Arch;
        var a = p.Source;
        if (Math.Min(p.Vocab, a.Vocab) < source.TextVocab)
            throw new ModelMismatchException(o.Source, o.Target, "vocabulary", $"{o.Target}'s logits cover {p.Vocab} vocabulary " +
                $"entries and {o.Source}'s {a.Vocab}, fewer than the source's {source.TextVocab} text tokens: not the same model");
        var (summary, positions) = LogitComparison.Compare(a.Logits, a.Vocab, p.Target, p.Vocab, inputs.Batch, inputs.TextLength,
            tolerance);
        string engine = target == null ? "ONNX Runtime" : "reference forward pass";
        var said = new List<GenerationCheck>();
        if (o.Generations is { Count: > 0 })
        {
            using var reference = target == null && !ModelLogits.IsOnnx(o.Target) ? LoadedModel.Open(o.Target, o.Stated, scope) : null;
            foreach (var g in o.Generations)
                said.Add(VerifyGeneration.Run(g, source, o.Source, target ?? reference, o.Target, o.DType, tolerance));
        }
        return new VerifyReport(o.Source, o.Target, o.Inputs ?? $"random (seed {o.Seed}, 8 prefix + 4 suffix tokens)", engine, summary,
            positions, tolerance)
        {
            Weights = weights,
            Generations = said,
            Facts = ModelFacts.Compare(sa.Facts(), p.Facts),
            FactsSources = [sa.FactsSource,
                target?.Weights.Arch.FactsSource ?? (ModelLogits.IsOnnx(o.Target) ? o.Target : "the target's export")],
        };
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
    internal static IReadOnlyList<(string, string)>? OnnxFacts(string model, OnnxDType? dtype)
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
}
