using PaliConvert.Export;
using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Validation;

namespace PaliConvert.Pipeline;

public sealed record VerifyOptions(string Source, string Target, string? Inputs = null, string MaskKey = "mask_ar",
    LogitTolerance? Tolerance = null, int Seed = 0,
    VerifyEngine Engine = VerifyEngine.Reference, string? MappingsFolder = null, StatedFacts? Stated = null, OnnxDType? DType = null);

/// <summary>Runs the reference forward pass on both models over the same inputs and compares their logits.</summary>
public static class Verify
{
    /// <summary>
    /// The source always runs in the reference forward pass. The target runs there too (engine "reference"), or in
    /// ONNX Runtime: an .onnx target as it is, a checkpoint target exported to a temporary folder first ("onnx").
    /// </summary>
    public static VerifyReport Run(VerifyOptions o, IProgress<(string, double)>? progress = null)
    {
        using var source = LoadedModel.Open(o.Source, o.Stated);
        var sa = source.Weights.Arch;
        bool onnx = o.Engine == VerifyEngine.Onnx || ModelLogits.IsOnnx(o.Target);
        using var target = onnx ? null : LoadedModel.Open(o.Target, o.Stated);
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
        var inputs = o.Inputs != null
            ? InputsFile.Load(o.Inputs, o.MaskKey)
            : InputsFile.Random(sa.Vision.ImageSize, Math.Min(source.TextVocab, target?.TextVocab ?? int.MaxValue), o.Seed);
        var a = new PaliGemmaForward(source.Weights, Scaled(progress, 0)).Run(inputs);
        var (logits, vocab, targetFacts) = target != null ? Reference(target) : OnnxLogits(o, inputs);
        var (summary, positions) = LogitComparison.Compare(a.Logits, a.Vocab, logits, vocab, inputs.Batch, inputs.TextLength,
            o.Tolerance ?? LogitTolerance.Default);
        string engine = onnx ? "ONNX Runtime" : "reference forward pass";
        var facts = ModelFacts.Compare(sa.Facts(), targetFacts);

        (float[], int, IReadOnlyList<(string, string)>) Reference(LoadedModel m)
        {
            var r = new PaliGemmaForward(m.Weights, Scaled(progress, 0.5)).Run(inputs);
            return (r.Logits, r.Vocab, m.Weights.Arch.Facts());
        }
        return new VerifyReport(o.Source, o.Target, o.Inputs ?? $"random (seed {o.Seed}, 8 prefix + 4 suffix tokens)", engine, summary,
            positions, o.Tolerance ?? LogitTolerance.Default)
        {
            Facts = facts,
            FactsSources = [sa.FactsSource,
                target?.Weights.Arch.FactsSource ?? (ModelLogits.IsOnnx(o.Target) ? o.Target : "the target's export")],
        };
    }

    /// <summary>
    /// The target in ONNX Runtime (an .onnx file or split folder as it is, a checkpoint exported to a temporary folder
    /// first), with the facts it was exported with, from its metadata; a model that states none is compared on logits.
    /// </summary>
    private static (float[] logits, int vocab, IReadOnlyList<(string, string)> facts) OnnxLogits(VerifyOptions o, ModelInputs inputs)
    {
        if (ModelLogits.IsOnnx(o.Target)) return WithFacts(o.Target);
        var folder = Path.Combine(Path.GetTempPath(), $"paliconvert-verify-{Guid.NewGuid():N}");
        try
        {
            var mappings = o.MappingsFolder ?? throw new InvalidOperationException("the mappings folder is needed to export an .npz");
            var weights = new OnnxWeights(o.DType ?? OnnxDType.Fp32);
            ExportOnnx.Run(new ExportOnnxOptions(o.Target, folder, mappings, weights, Stated: o.Stated));
            return WithFacts(Path.Combine(folder, OnnxLayout.ModelFile));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }

        (float[], int, IReadOnlyList<(string, string)>) WithFacts(string model)
        {
            var (logits, vocab) = OnnxRunner.Run(model, inputs, o.DType);
            string file = OnnxLayout.IsSplitFolder(model)
                ? Path.Combine(model, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxLayout.PickDType(model, o.DType))) : model;
            return (logits, vocab, ModelFacts.FromMetadata(Formats.Onnx.OnnxWriter.ReadMetadata(file)) ?? []);
        }
    }

    private static IProgress<(string, double)>? Scaled(IProgress<(string, double)>? p, double start) =>
        p == null ? null : new Progress<(string what, double f)>(x => p.Report((x.what, start + x.f / 2)));
}
