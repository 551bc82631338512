using PaliConvert.Models;
using PaliConvert.Analysis;
using PaliConvert.Formats;
using PaliConvert.Formats.Npz;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;
using static PaliConvert.Tests.ModelRuns;

namespace PaliConvert.Tests.Pipeline;

/// <summary>
/// big_vision fuses q, k and v into qkv_einsum (L, 3, N, W, H) when every query head has its own kv head. A model
/// derived from a golden one by repeating each kv head for the query heads that share it computes the same function,
/// so the golden logits still hold.
/// </summary>
public class FusedQkvTests
{
    /// <summary>The golden model with kv heads repeated (K = N) and q, k, v stored fused, float32.</summary>
    internal static string Derive(string model, string target)
    {
        string source = TestPaths.Golden($"{model}/params.f32.npz");
        using var ck = NpzCheckpoint.Open(source);
        var q = ck.Get("llm/layers/attn/q_einsum/w"); // (L, N, W, H)
        var kv = ck.Get("llm/layers/attn/kv_einsum/w"); // (L, 2, K, W, H)
        long layers = q.Shape[0], n = q.Shape[1], w = q.Shape[2], h = q.Shape[3], k = kv.Shape[2];
        var qv = HfCopy.Values(q);
        var kvv = HfCopy.Values(kv);
        var fused = new float[layers * 3 * n * w * h];
        long block = w * h;
        for (long l = 0; l < layers; l++)
            for (long head = 0; head < n; head++)
            {
                Array.Copy(qv, (l * n + head) * block, fused, ((l * 3 + 0) * n + head) * block, block);
                for (int part = 0; part < 2; part++)
                    Array.Copy(kvv, ((l * 2 + part) * k + head / (n / k)) * block, fused, ((l * 3 + 1 + part) * n + head) * block, block);
            }
        return NpzCopy.Write(source, target, t => t.Name switch
        {
            "llm/layers/attn/q_einsum/w" => [],
            "llm/layers/attn/kv_einsum/w" => [("llm/layers/attn/qkv_einsum/w", [layers, 3, n, w, h],
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(fused.AsSpan()).ToArray())],
            _ => [(t.Name, t.Shape, NpzCopy.Bytes(t))],
        });
    }

    [Theory]
    [InlineData("pg1-tiny")]
    [InlineData("pg2-tiny")]
    public void FusedQkvConvertsBothWaysBitExactlyAndKeepsTheGoldenLogits(string model)
    {
        using var dir = new TempDir();
        string fused = Derive(model, dir.File("fused.npz"));
        var golden = NpyFile.ReadF32(TestPaths.Golden($"{model}/logits.jax.f32.prefixlm.npy"));
        var goldenLogits = (golden.values, (int)golden.shape[2]);
        var inputs = GoldenInputs(model);
        Assert.True(MaxAbs(Reference(fused, inputs), goldenLogits) < 1e-4);

        string hf = Jax2Hf.Run(new Jax2HfOptions(fused, dir.File("hf"), TestPaths.Mappings));
        Assert.True(MaxAbs(Reference(hf, inputs), goldenLogits) < 1e-4);
        using (var ck = KeySpelling.Open(hf))
        {
            var arch = Inspection.Of(ck).Architecture;
            Assert.Equal((4, 4), (arch.Decoder.Heads, arch.Decoder.KvHeads));
            Assert.Equal(new long[] { 64, arch.Decoder.Width }, ck.Get("language_model.model.layers.1.self_attn.v_proj.weight").Shape);
        }

        string back = Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("back.npz"), TestPaths.Mappings));
        using var a = NpzCheckpoint.Open(fused);
        using var b = NpzCheckpoint.Open(back);
        Assert.Equal(a.Tensors.Select(t => t.Name).Order(), b.Tensors.Select(t => t.Name).Order());
        foreach (var t in a.Tensors) Assert.True(NpzCopy.Bytes(t).AsSpan().SequenceEqual(NpzCopy.Bytes(b.Get(t.Name))), t.Name);
        var diff = DiffReport.Compare(a, b);
        Assert.True(diff.Identical);

        var inspected = Inspection.Of(a);
        Assert.True(inspected.Architecture.Decoder.FusedQkv);
        Assert.Equal((4, 4), (inspected.Architecture.Decoder.Heads, inspected.Architecture.Decoder.KvHeads));
        Assert.Contains("multi-head attention", inspected.Architecture.Summary());
    }

    [Fact]
    public void DiffNamesTheFusedTensorsChangedLayer()
    {
        using var dir = new TempDir();
        string fused = Derive("pg2-tiny", dir.File("fused.npz"));
        string changed = NpzCopy.Write(fused, dir.File("changed.npz"), t =>
        {
            var bytes = NpzCopy.Bytes(t);
            if (t.Name == "llm/layers/attn/qkv_einsum/w") bytes[bytes.Length - 2] ^= 0x40; // layer 1
            return [(t.Name, t.Shape, bytes)];
        });
        using var a = NpzCheckpoint.Open(fused);
        using var b = NpzCheckpoint.Open(changed);
        var diff = DiffReport.Compare(a, b);
        Assert.False(diff.Identical);
        var entry = Assert.Single(diff.Tensors, e => e.Status != DiffStatus.Equal);
        Assert.Equal("llm/layers/attn/qkv_einsum/w", entry.Name);
        Assert.Equal([1], entry.ChangedLayers);
    }
}
