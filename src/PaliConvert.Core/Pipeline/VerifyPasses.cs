using PaliConvert.Export;
using PaliConvert.IO;
using PaliConvert.Inference;
using PaliConvert.Validation;

namespace PaliConvert.Pipeline;

/// <summary>verify's two forward passes, on a thread of their own: the source's at once, the target's once it is ready.</summary>
internal sealed record VerifyPasses(ForwardResult Source, float[] Target, int Vocab, IReadOnlyList<(string, string)> Facts)
{
    /// <summary>The target made and opened (null: ONNX Runtime runs <see cref="VerifyOptions.Target"/>).</summary>
    public sealed record Ready(VerifyOptions Options, LoadedModel? Model);

    /// <summary>Both passes on one thread, so the buffers the first returns to the pools serve the second.</summary>
    public static Beside<VerifyPasses> Start(LoadedModel source, ModelInputs inputs, Task<Ready> target,
        IProgress<(string, double)>? progress, RunScope scope) => new(stop =>
    {
        var a = new PaliGemmaForward(source.Weights, Scaled(progress, 0, "source"), stop).Run(inputs);
        target.Wait(stop);
        var (o, model) = target.Result;
        if (model == null)
        {
            var (logits, vocab, facts) = OnnxLogits(o, inputs, scope);
            return new VerifyPasses(a, logits, vocab, facts);
        }
        var r = new PaliGemmaForward(model.Weights, Scaled(progress, 0.5, "target"), stop).Run(inputs);
        return new VerifyPasses(a, r.Logits, r.Vocab, model.Weights.Arch.Facts());
    });

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
            return (logits, vocab, Verify.OnnxFacts(model, o.DType) ?? []);
        }
    }

    private static IProgress<(string, double)>? Scaled(IProgress<(string, double)>? p, double start, string model) =>
        p == null ? null : new Progress<(string what, double f)>(x => p.Report(($"{model}: {x.what}", start + x.f / 2)));
}
