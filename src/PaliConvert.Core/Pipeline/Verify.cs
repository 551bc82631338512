using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Validation;

namespace PaliConvert.Pipeline;

public sealed record VerifyOptions(string Source, string Target, string? Inputs = null, string MaskKey = "mask_ar", double Atol = 1e-4, int Seed = 0);

/// <summary>Runs the reference forward pass on both models over the same inputs and compares their logits.</summary>
public static class Verify
{
    public static VerifyReport Run(VerifyOptions o, IProgress<(string, double)>? progress = null)
    {
        using var source = LoadedModel.Open(o.Source);
        using var target = LoadedModel.Open(o.Target);
        var (sa, ta) = (source.Weights.Arch, target.Weights.Arch);
        if (sa.Family != ta.Family || sa.Vision.Tokens != ta.Vision.Tokens || sa.Decoder.Width != ta.Decoder.Width || sa.Decoder.Layers != ta.Decoder.Layers)
            throw new InvalidDataException($"the models differ in architecture: {o.Source} is {sa.Name} at {sa.Vision.ImageSize} px, width {sa.Decoder.Width}, {sa.Decoder.Layers} layers; {o.Target} is {ta.Name} at {ta.Vision.ImageSize} px, width {ta.Decoder.Width}, {ta.Decoder.Layers} layers");
        var inputs = o.Inputs != null
            ? InputsFile.Load(o.Inputs, o.MaskKey)
            : InputsFile.Random(sa.Vision.ImageSize, Math.Min(source.TextVocab, target.TextVocab), o.Seed);
        var a = new PaliGemmaForward(source.Weights, Scaled(progress, 0)).Run(inputs);
        var b = new PaliGemmaForward(target.Weights, Scaled(progress, 0.5)).Run(inputs);
        var (summary, positions) = LogitComparison.Compare(a.Logits, a.Vocab, b.Logits, b.Vocab, inputs.Batch, inputs.TextLength, o.Atol);
        return new VerifyReport(o.Source, o.Target, o.Inputs ?? $"random (seed {o.Seed}, 8 prefix + 4 suffix tokens)", "reference forward pass", summary, positions);
    }

    private static IProgress<(string, double)>? Scaled(IProgress<(string, double)>? p, double start) =>
        p == null ? null : new Progress<(string what, double f)>(x => p.Report((x.what, start + x.f / 2)));
}
