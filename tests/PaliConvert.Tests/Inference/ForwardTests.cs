using PaliConvert.Formats.Npz;
using PaliConvert.Inference;

namespace PaliConvert.Tests.Inference;

/// <summary>The reference forward pass against big_vision's and transformers' own outputs (golden/), within 1e-4.</summary>
public class ForwardTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, string, string> Cases()
    {
        var d = new TheoryData<string, string, string>();
        foreach (var m in TestPaths.Cases)
            foreach (var f in new[] { "f32", "mixed", "bf16", "prefixed" })
                foreach (var mask in new[] { "prefixlm", "causal", "fullprefix" })
                    d.Add(m, f, mask);
        return d;
    }


    [Theory, MemberData(nameof(Cases))]
    public void BigVisionViewMatchesBigVisionLogits(string model, string flavour, string mask)
    {
        using var m = LoadedModel.Open(TestPaths.Golden($"{model}/params.{flavour}.npz"));
        var inputs = InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), $"mask_ar_{mask}");
        var r = new PaliGemmaForward(m.Weights).Run(inputs);
        // the prefixed file holds the mixed file's values; golden logits were computed per values
        string values = flavour == "prefixed" ? "mixed" : flavour;
        var (shape, expected) = NpyFile.ReadF32(TestPaths.Golden($"{model}/logits.jax.{values}.{mask}.npy"));
        Assert.Equal(new long[] { 2, 7, 300 }, shape);
        Assert.InRange(ModelRuns.MaxAbs(expected, r.Logits), 0, Tolerance);
    }

    /// <summary>Reports synchronously, and sets the stop once the first vision layer is done.</summary>
    private sealed class StopAfterFirst(CancellationTokenSource stop) : IProgress<(string, double)>
    {
        public readonly List<string> Seen = [];
        public void Report((string, double) p)
        {
            Seen.Add(p.Item1);
            if (p.Item1 == "vision layer 0") stop.Cancel();
        }
    }

    [Fact]
    public void AStoppedPassEndsAtItsNextLayer()
    {
        using var m = LoadedModel.Open(TestPaths.Golden("pg1-tiny/params.f32.npz"));
        using var stop = new CancellationTokenSource();
        var seen = new StopAfterFirst(stop);
        var inputs = InputsFile.Load(TestPaths.Golden("pg1-tiny/inputs.npz"), "mask_ar_prefixlm");
        Assert.Throws<OperationCanceledException>(() => new PaliGemmaForward(m.Weights, seen, stop.Token).Run(inputs));
        Assert.Equal(["vision layer 0"], seen.Seen);
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void IntermediateActivationsMatch(string model)
    {
        using var m = LoadedModel.Open(TestPaths.Golden($"{model}/params.f32.npz"));
        var r = new PaliGemmaForward(m.Weights).Run(InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), "mask_ar_prefixlm"));
        Assert.InRange(ModelRuns.MaxAbs(NpyFile.ReadF32(TestPaths.Golden($"{model}/zimg.jax.f32.npy")).values, r.ImageTokens), 0,
            Tolerance);
        Assert.InRange(ModelRuns.MaxAbs(NpyFile.ReadF32(TestPaths.Golden($"{model}/pre_logits.jax.f32.prefixlm.npy")).values, r.PreLogits),
            0, Tolerance);
    }

    [Theory]
    [InlineData("pg1-tiny", "hf-legacy"), InlineData("pg2-tiny", "hf-legacy"), InlineData("pg1-tiny", "hf"), InlineData("pg2-tiny", "hf")]
    public void HfViewMatchesTransformersLogits(string model, string folder)
    {
        using var m = LoadedModel.Open(TestPaths.Golden($"{model}/{folder}"));
        Assert.IsType<HfWeights>(m.Weights);
        var r = new PaliGemmaForward(m.Weights).Run(InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), "mask_ar_prefixlm"));
        var (shape, hf) = NpyFile.ReadF32(TestPaths.Golden($"{model}/logits.hf.f32.tt_prefixlm.npy"));
        Assert.Equal(new long[] { 2, 23, 320 }, shape);
        double max = 0;
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < 7; t++)
                for (int v = 0; v < 320; v++)
                    max = Math.Max(max, Math.Abs(hf[(b * 23 + 16 + t) * 320 + v] - r.Logits[(b * 7 + t) * 320 + v]));
        Assert.InRange(max, 0, Tolerance);
    }
}
