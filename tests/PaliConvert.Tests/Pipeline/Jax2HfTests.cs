using System.Text.Json;
using PaliConvert.Analysis;
using PaliConvert.Formats;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Pipeline;

public class Jax2HfTests
{
    private static string Mappings => Path.Combine(TestPaths.Root, "mappings");

    private static string Convert(TempDir dir, string model, string flavour, string dtype = "auto", long shard = 2_000_000_000) =>
        Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden($"{model}/params.{flavour}.npz"), dir.File("out"), Mappings,
            Enum.Parse<OutputDType>(dtype, ignoreCase: true), shard));

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void F32ConvertsBitIdenticalToTheGoldenFolder(string model)
    {
        using var dir = new TempDir();
        using var ours = KeySpelling.OpenHf(Convert(dir, model, "f32"));
        using var golden = KeySpelling.OpenHf(TestPaths.Golden($"{model}/hf-legacy"));
        Assert.Equal(golden.Tensors.Select(t => t.Name).Order(), ours.Tensors.Select(t => t.Name).Order());
        var diff = DiffReport.Compare(golden, ours);
        foreach (var t in diff.Tensors)
        {
            if (t.Name == "language_model.model.embed_tokens.weight") Assert.InRange(t.MaxAbsDiff, 0, 1e-6); // mean padding rows
            else Assert.Equal(DiffStatus.Equal, t.Status);
        }
        var emb = ours.Get("language_model.model.embed_tokens.weight");
        int realBytes = 300 * (int)emb.Shape[1] * 4;
        Assert.True(emb.Data.Span(0, realBytes).SequenceEqual(golden.Get("language_model.model.embed_tokens.weight").Data.Span(0,
            realBytes)));
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void ConfigCarriesTheGoldenValues(string model)
    {
        using var dir = new TempDir();
        var ours = JsonDocument.Parse(File.ReadAllText(Path.Combine(Convert(dir, model, "f32"), "config.json"))).RootElement;
        var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Golden($"{model}/hf/config.json"))).RootElement;
        // every key transformers wrote, with its value, except its version stamp and the ignored top-level vocab_size
        var notTopLevel = new[] { "transformers_version", "vocab_size", "text_config", "vision_config" };
        foreach (var p in golden.EnumerateObject().Where(p => !notTopLevel.Contains(p.Name)))
            Assert.Equal(p.Value.ToString(), ours.GetProperty(p.Name).ToString());
        foreach (var section in new[] { "text_config", "vision_config" })
            foreach (var p in golden.GetProperty(section).EnumerateObject())
            {
                Assert.True(ours.GetProperty(section).TryGetProperty(p.Name, out var v), $"{section}.{p.Name} missing");
                bool same = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() == v.GetDouble()
                    : JsonElement.DeepEquals(p.Value, v);
                Assert.True(same, $"{section}.{p.Name}: golden {p.Value}, ours {v}");
            }
        foreach (var key in new[] { "vocab_size", "num_key_value_heads", "head_dim", "num_image_tokens" })
            Assert.True(ours.GetProperty("text_config").TryGetProperty(key, out _), key);
    }

    /// <summary>
    /// Each flavour converts to its own values: tensors equal what the f32 conversion gives after the flavour's
    /// rounding (f16 rounding for the mixed file's non-attention tensors, bf16 for the bf16 file), in the dtype asked.
    /// </summary>
    [Theory]
    [InlineData("mixed", "keep", 1e-3)]     // f16 rounding of values ~N(0, 0.5): half an ulp is under 1e-3
    [InlineData("prefixed", "f32", 1e-3)]
    [InlineData("bf16", "auto", 1e-2)]      // bf16 keeps 8 bits: half an ulp of values under 2 is under 4e-3
    public void OtherFlavoursConvertWithinTheirRounding(string flavour, string dtype, double tolerance)
    {
        using var dir = new TempDir();
        using var ours = KeySpelling.Open(Convert(dir, "pg2-tiny", flavour, dtype));
        var v = ours.Get("language_model.model.layers.1.self_attn.v_proj.weight");
        var up = ours.Get("language_model.model.layers.0.mlp.up_proj.weight");
        var (vType, upType) = (flavour, dtype) switch
        {
            ("mixed", "keep") => (DType.F32, DType.F16), // a mixed fine-tune stays mixed
            ("bf16", _) => (DType.BF16, DType.BF16),
            _ => (DType.F32, DType.F32),
        };
        Assert.Equal(vType, v.DType);
        Assert.Equal(upType, up.DType);
        using var golden = KeySpelling.OpenHf(TestPaths.Golden("pg2-tiny/hf-legacy"));
        var d = DiffReport.Compare(golden, ours);
        Assert.Equal(golden.Tensors.Count, d.Tensors.Length);
        Assert.All(d.Tensors, t => Assert.InRange(t.MaxAbsDiff, 0, tolerance));
        if (flavour == "mixed") Assert.Equal(DiffStatus.Equal, d.Tensors.Single(t => t.Name == v.Name).Status); // attention kept f32
    }

    [Fact]
    public void UnstackedCheckpointConvertsToTheSameFolder()
    {
        using var dir = new TempDir();
        var unstacked = NpzCopy.Write(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("unstacked.npz"), t =>
        {
            if (!LayerNames.IsStacked(t.Name)) return [(t.Name, t.Shape, NpzCopy.Bytes(t))];
            long per = t.ByteLength / t.Shape[0];
            var all = NpzCopy.Bytes(t);
            return Enumerable.Range(0, (int)t.Shape[0]).Select(i => (LayerNames.Unstacked(t.Name, i), t.Shape[1..],
                all[(int)(i * per)..(int)((i + 1) * per)]));
        });
        using var ours = KeySpelling.OpenHf(Jax2Hf.Run(new Jax2HfOptions(unstacked, dir.File("out"), Mappings)));
        using var golden = KeySpelling.OpenHf(TestPaths.Golden("pg1-tiny/hf-legacy"));
        Assert.All(DiffReport.Compare(golden, ours).Tensors, t => Assert.InRange(t.MaxAbsDiff, 0, 1e-6));
        Assert.Equal(golden.Tensors.Count, ours.Tensors.Count);
    }

    [Fact]
    public void SmallShardLimitGivesAShardedFolderWithACorrectIndex()
    {
        using var dir = new TempDir();
        var outDir = Convert(dir, "pg1-tiny", "f32", shard: 100_000);
        var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "model.safetensors.index.json"))).RootElement;
        var files = Directory.GetFiles(outDir, "*.safetensors");
        Assert.True(files.Length >= 4, string.Join(",", files));
        Assert.Equal(files.Sum(f => { using var c = KeySpelling.OpenHf(f); return c.Tensors.Sum(t => t.ByteLength); }),
            index.GetProperty("metadata").GetProperty("total_size").GetInt64());
        using var ours = KeySpelling.OpenHf(outDir);
        using var golden = KeySpelling.OpenHf(TestPaths.Golden("pg1-tiny/hf-legacy"));
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
        Assert.True(e is BadInputException, e.ToString());
        Assert.Contains(tensor, e.Message);
        Assert.Equal([dir.File("bad.npz")], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ExistingNonEmptyOutputIsRefusedUnlessForcedAndForeignFilesNeverReplaced()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/model-00001-of-00009.safetensors"), "old");
        Assert.Throws<OutputExistsException>(() => Convert(dir, "pg1-tiny", "f32"));
        Assert.Equal("old", File.ReadAllText(dir.File("out/model-00001-of-00009.safetensors")));
        Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("out"), Mappings, Force: true));
        Assert.False(File.Exists(dir.File("out/model-00001-of-00009.safetensors")));
        Assert.True(File.Exists(dir.File("out/model.safetensors")));
        // a folder holding anything paliconvert does not write (a user's notes, a .git) is never replaced, even with force
        File.WriteAllText(dir.File("out/notes.txt"), "mine");
        var e = Assert.Throws<OutputException>(() =>
            Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("out"), Mappings, Force: true)));
        Assert.Contains("holds 'notes.txt', which paliconvert does not write", e.Message);
        Assert.Equal("mine", File.ReadAllText(dir.File("out/notes.txt")));
    }
}
