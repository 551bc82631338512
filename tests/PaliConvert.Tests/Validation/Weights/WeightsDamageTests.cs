using PaliConvert.Export;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using static PaliConvert.Tests.Validation.Weights.WeightsProofTests;

namespace PaliConvert.Tests.Validation.Weights;

/// <summary>
/// Damage that keeps every shape, done to a conversion after it was made: each must fail the weights proof naming the
/// tensor, and verify with it, whatever logit bounds are stated (a damaged lossy target can pass any logit bound).
/// </summary>
public class WeightsDamageTests
{
    private const string L = "language_model.model.layers.", V = "vision_tower.vision_model.encoder.layers.";

    public static TheoryData<string, string> Damages()
    {
        var d = new TheoryData<string, string>();
        foreach (var m in TestPaths.Cases)
            foreach (var c in new[] { "keys and values exchanged", "query heads interleaved", "gate and up swapped in one layer",
                         "a vision layer's q and k swapped", "padding rows changed" })
                d.Add(m, c);
        return d;
    }

    [Theory, MemberData(nameof(Damages))]
    public void ShapeKeepingDamageToAnHfTargetIsNamed(string model, string damage)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz");
        var hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings, OutputDType.F16));
        const int heads = 4, headDim = 16; // both golden decoders
        string[] named = damage switch
        {
            "keys and values exchanged" => [L + "1.self_attn.k_proj.weight", L + "1.self_attn.v_proj.weight"],
            "query heads interleaved" => [L + "0.self_attn.q_proj.weight"],
            "gate and up swapped in one layer" => [L + "1.mlp.gate_proj.weight", L + "1.mlp.up_proj.weight"],
            "a vision layer's q and k swapped" => [V + "0.self_attn.q_proj.weight", V + "0.self_attn.k_proj.weight"],
            _ => [HfNames.Embedding],
        };
        if (named.Length == 2) Swap(hf, named[0], named[1]);
        else if (damage == "query heads interleaved") Patch(hf, named[0], b => Interleave(b, heads, headDim));
        else Patch(hf, named[0], b => { var c = b.ToArray(); c[^1] ^= 0x40; return c; }); // the last padded row

        var r = Prove(npz, hf);
        Assert.False(r.Passed);
        Assert.Equal(named.Order(), r.Failures.Select(f => f.Target).Order());
        if (damage == "keys and values exchanged")
            Assert.Equal("llm/layers/attn/kv_einsum/w[1, 0]", r.Failures.Single(f => f.Target.Contains("k_proj")).Source);
        if (damage == "query heads interleaved") Assert.Contains("layer 0, heads 1-2", r.Failures.Single().Where);
        if (damage == "padding rows changed") Assert.Contains("rows 319", r.Failures.Single().Where);
        // the logits cannot tell f16 rounding from this damage on a small model, so no bound rescues it
        var v = Verify.Run(new VerifyOptions(npz, hf, Tolerance: new PaliConvert.Validation.LogitTolerance(MinTop1: 0, MaxKl: 10),
            MappingsFolder: TestPaths.Mappings));
        Assert.False(v.Passed);
        Assert.True(v.WeightsFailed);
    }

    /// <summary>Head rows reordered 0, 2, 1, 3: every row stays, two heads trade places.</summary>
    private static byte[] Interleave(byte[] b, int heads, int headDim)
    {
        int row = b.Length / (heads * headDim), block = row * headDim;
        var c = b.ToArray();
        Array.Copy(b, 1 * block, c, 2 * block, block);
        Array.Copy(b, 2 * block, c, 1 * block, block);
        return c;
    }

    [Theory]
    [InlineData("pg1-tiny")]
    [InlineData("pg2-tiny")]
    public void ATensorMissingFromTheTargetIsNamed(string model)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz");
        var cut = NpzCopy.Write(npz, dir.File("cut.npz"), t => t.Name == "llm/final_norm/scale" ? []
            : [(t.Name, t.Shape, NpzCopy.Bytes(t))]);
        var r = Prove(npz, cut);
        var f = Assert.Single(r.Failures);
        Assert.Equal("llm/final_norm/scale", f.Target);
        Assert.Equal("missing from the target", f.Problem);
    }

    [Theory]
    [InlineData("pg1-tiny")]
    [InlineData("pg2-tiny")]
    public void OneNibbleOfAQ4ExportAndOneUlpOfAQ8ScaleAreCaught(string model)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz");
        var q4 = ExportOnnx.Run(new ExportOnnxOptions(npz, dir.File("q4"), TestPaths.Mappings, new OnnxWeights(OnnxDType.Q4),
            Layout: OnnxLayoutKind.Split));
        string decoder = Path.Combine(q4, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxDType.Q4));
        Patch(decoder, L + "1.mlp.down_proj.weight_Q4", b => { var c = b.ToArray(); c[5] ^= 0x01; return c; });
        var f = Assert.Single(Prove(npz, q4, OnnxDType.Q4).Failures);
        Assert.Equal((L + "1.mlp.down_proj.weight", 1L), (f.Target, f.Differing));
        Assert.Equal("q4 (block 32, symmetric)", f.Encoding);

        var q8 = ExportOnnx.Run(new ExportOnnxOptions(npz, dir.File("q8"), TestPaths.Mappings, new OnnxWeights(OnnxDType.Q8),
            Layout: OnnxLayoutKind.Split));
        string dec8 = Path.Combine(q8, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxDType.Q8));
        Patch(dec8, L + "0.self_attn.q_proj.weight_scale", b =>
        {
            var c = b.ToArray();
            float first = BitConverter.ToSingle(c, 0);
            BitConverter.GetBytes(MathF.BitIncrement(first)).CopyTo(c, 0);
            return c;
        });
        var g = Assert.Single(Prove(npz, q8, OnnxDType.Q8).Failures);
        Assert.Equal(L + "0.self_attn.q_proj.weight", g.Target);
        Assert.Equal(1, g.Differing);
    }

    /// <summary>
    /// Another tool's q8 quantizer that rounds ties half away from zero (ours rounds them to even, as numpy and ONNX
    /// Runtime's quantize_dynamic do): a row of q_proj is made to hold exact ties at scale 1, so the two quantizers
    /// disagree on two codes, and the proof names the tensor.
    /// </summary>
    [Theory]
    [InlineData("pg1-tiny")]
    [InlineData("pg2-tiny")]
    public void AQuantizerThatRoundsTiesAwayFromZeroIsCaught(string model)
    {
        using var dir = new TempDir();
        var hf = Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden($"{model}/params.f32.npz"), dir.File("hf"), TestPaths.Mappings));
        string q = L + "0.self_attn.q_proj.weight";
        long width;
        using (var ck = KeySpelling.Open(hf)) width = ck.Get(q).Shape[1];
        Patch(hf, q, b =>
        {
            var c = b.ToArray();
            float[] ties = [64f, 0.5f, 1.5f, -2.5f]; // max |w| 64: scale 64 / 64 = 1, so w / scale is the tie itself
            for (int k = 0; k < ties.Length; k++) BitConverter.GetBytes(ties[k]).CopyTo(c, 4 * k);
            for (int k = ties.Length; k < width; k++) BitConverter.GetBytes(0f).CopyTo(c, 4 * k);
            return c;
        });
        var web = ExportOnnx.Run(new ExportOnnxOptions(hf, dir.File("web"), TestPaths.Mappings, new OnnxWeights(OnnxDType.Q8),
            Layout: OnnxLayoutKind.Split));
        Assert.True(Prove(hf, web, OnnxDType.Q8).Passed);
        string decoder = Path.Combine(web, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxDType.Q8));
        long n;
        using (var ck = PaliConvert.Formats.Onnx.OnnxCheckpoint.Open(decoder)) n = ck.Get(q + "_quantized").Shape[1];
        Patch(decoder, q + "_quantized", b =>
        {
            var c = b.ToArray(); // codes [K, N]: row 0's k-th code at k * N
            Assert.Equal(((sbyte)64, (sbyte)0, (sbyte)2, (sbyte)-2), ((sbyte)c[0], (sbyte)c[n], (sbyte)c[2 * n], (sbyte)c[3 * n]));
            c[n] = 1; // 0.5 away from zero
            c[3 * n] = unchecked((byte)(sbyte)-3); // -2.5 away from zero
            return c;
        });
        var f = Assert.Single(Prove(hf, web, OnnxDType.Q8).Failures);
        Assert.Equal((q, 2L), (f.Target, f.Differing));
    }
}
