using PaliConvert.Inference;

namespace PaliConvert.Tests.Inference;

/// <summary>
/// Greedy decoding over the key/value cache: every step's logits equal the full forward pass of the same sequence (the
/// prompt as prefix, the generated tokens causal), on models whose greedy output varies.
/// </summary>
public class GreedyDecoderTests
{
    private const float Tolerance = 1e-5f;

    private static (float[] image, int px) Image(string model)
    {
        var golden = InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), null);
        int n = golden.Height * golden.Width * 3;
        return (golden.Image[..n], golden.Height);
    }

    /// <summary>The talkative variant of a golden model, as big_vision's .npz or converted to a Hugging Face folder.</summary>
    internal static string Model(TempDir dir, string model, bool hf)
    {
        string npz = Talkative.Write(model, dir.File($"{model}.npz"));
        return !hf ? npz : PaliConvert.Pipeline.Jax2Hf.Run(new PaliConvert.Pipeline.Jax2HfOptions(npz, dir.File($"{model}-hf"),
            TestPaths.Mappings));
    }

    [Theory]
    [InlineData("pg1-tiny", false)]
    [InlineData("pg2-tiny", false)]
    [InlineData("pg2-tiny", true)]
    public void EachStepEqualsTheFullPassOfItsSequence(string model, bool hf)
    {
        using var dir = new TempDir();
        using var m = LoadedModel.Open(Model(dir, model, hf));
        var (image, px) = Image(model);
        int[] prompt = [2, 17, 42, 99, 5];
        var g = GreedyDecoder.Run(m.Weights, image, px, px, prompt, maxNewTokens: 10);
        Assert.True(g.GeneratedIds.Distinct().Count() >= 3, $"greedy output barely varies: {string.Join(" ", g.GeneratedIds)}");
        Assert.Equal(10, g.GeneratedIds.Length + (g.GeneratedIds[^1] == GreedyDecoder.Eos ? 10 - g.GeneratedIds.Length : 0));
        var forward = new PaliGemmaForward(m.Weights);
        for (int k = 0; k < g.GeneratedIds.Length; k++)
        {
            int[] text = [.. prompt, .. g.GeneratedIds[..k]];
            int[] mask = [.. new int[prompt.Length], .. Enumerable.Repeat(1, k)];
            var full = forward.Run(new ModelInputs(image, 1, px, px, text, text.Length, mask));
            var last = full.Logits.AsSpan((text.Length - 1) * full.Vocab, full.Vocab);
            float worst = 0;
            for (int v = 0; v < full.Vocab; v++) worst = Math.Max(worst, Math.Abs(last[v] - g.StepLogits[k][v]));
            Assert.True(worst <= Tolerance, $"step {k}: max |cached - full| = {worst}");
        }
    }
}
