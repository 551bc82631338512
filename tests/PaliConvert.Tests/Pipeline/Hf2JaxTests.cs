using System.Text.Json;
using PaliConvert.Models;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Pipeline;

public class Hf2JaxTests
{
    private static string Mappings => Path.Combine(TestPaths.Root, "mappings");

    /// <summary>Same names, shapes, dtypes and bytes.</summary>
    private static void AssertBitIdentical(string expectedNpz, string actualNpz)
    {
        using var a = NpzCheckpoint.Open(expectedNpz);
        using var b = NpzCheckpoint.Open(actualNpz);
        Assert.Equal(a.Tensors.Select(t => t.Name).Order(), b.Tensors.Select(t => t.Name).Order());
        Assert.Equal(a.HadParamsPrefix, b.HadParamsPrefix);
        foreach (var t in a.Tensors)
        {
            var u = b.Get(t.Name);
            Assert.Equal(t.Shape, u.Shape);
            Assert.True(t.DType == u.DType, $"{t.Name}: {t.DType} vs {u.DType}");
            Assert.True(t.Data.Span(0, (int)t.ByteLength).SequenceEqual(u.Data.Span(0, (int)u.ByteLength)), $"{t.Name}: bytes differ");
        }
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void HfLegacyGoesBackBitIdenticalToTheF32Npz(string model)
    {
        using var dir = new TempDir();
        var back = Hf2Jax.Run(new Hf2JaxOptions(TestPaths.Golden($"{model}/hf-legacy"), dir.File("back.npz"), Mappings));
        AssertBitIdentical(TestPaths.Golden($"{model}/params.f32.npz"), back);
        // and numpy reads it: bf16/f32 descrs, stored zip, CRCs
        var oracle = JsonDocument.Parse(TestPaths.Python("npz_oracle.py", back)).RootElement;
        using var ck = NpzCheckpoint.Open(back);
        foreach (var t in ck.Tensors) Assert.Equal(NpzCopy.Sha256(t), oracle.GetProperty(t.Name)[2].GetString());
    }

    public static TheoryData<string, string> Flavours()
    {
        var d = new TheoryData<string, string>();
        foreach (var m in TestPaths.Cases) foreach (var f in TestPaths.Flavours) d.Add(m, f);
        return d;
    }

    [Theory, MemberData(nameof(Flavours))]
    public void RoundTripWithKeepReturnsEveryFlavourBitForBit(string model, string flavour)
    {
        using var dir = new TempDir();
        string source = TestPaths.Golden($"{model}/params.{flavour}.npz");
        var hf = Jax2Hf.Run(new Jax2HfOptions(source, dir.File("hf"), Mappings, DType: OutputDType.Keep));
        var back = Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("back.npz"), Mappings, Prefix: flavour == "prefixed" ? "params/" : ""));
        AssertBitIdentical(source, back);
        if (flavour == "bf16")
        {
            var oracle = JsonDocument.Parse(TestPaths.Python("npz_oracle.py", back)).RootElement;
            Assert.All(oracle.EnumerateObject(), p => Assert.Equal("<V2", p.Value[1].GetString()));
        }
    }

    [Fact]
    public void DTypeOptionCastsEveryTensor()
    {
        using var dir = new TempDir();
        var back = Hf2Jax.Run(new Hf2JaxOptions(TestPaths.Golden("pg2-tiny/hf"), dir.File("b.npz"), Mappings, DType: OutputDType.BF16));
        using var ck = NpzCheckpoint.Open(back);
        Assert.All(ck.Tensors, t => Assert.Equal(DType.BF16, t.DType));
        using var bf16 = NpzCheckpoint.Open(TestPaths.Golden("pg2-tiny/params.bf16.npz"));
        // f32 -> bf16 rounding to nearest even is what the golden bf16 file holds
        foreach (var t in bf16.Tensors) Assert.True(t.Data.Span(0,
            (int)t.ByteLength).SequenceEqual(ck.Get(t.Name).Data.Span(0, (int)t.ByteLength)), t.Name);
    }

    /// <summary>Copies a golden HF folder, renaming or dropping keys and rewriting config.json as asked.</summary>
    private static string CopyHf(TempDir dir, string folder, Func<string, string?> rename, Func<string, string>? config = null,
        int shards = 1, string? lmHead = null)
    {
        using var src = KeySpelling.OpenHf(TestPaths.Golden(folder));
        string outDir = dir.File("copy");
        Directory.CreateDirectory(outDir);
        var keep = src.Tensors.Select(t => (t, name: rename(t.Name))).Where(x => x.name != null).ToList();
        if (lmHead != null)
        {
            // lm_head as transformers holds it in memory: the embedding itself (tied)
            keep.Add((src.Get("language_model.model.embed_tokens.weight"), lmHead));
        }
        var weightMap = new Dictionary<string, string>();
        for (int s = 0; s < shards; s++)
        {
            var part = keep.Where((x, i) => i % shards == s).ToList();
            string file = shards == 1 ? "model.safetensors" : $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            using var fs = File.Create(Path.Combine(outDir, file));
            fs.Write(SafetensorsFile.BuildHeader(part.Select(x => (x.name!, x.t.DType, x.t.Shape)), null));
            foreach (var (t, name) in part) { fs.Write(t.Data.Span(0, (int)t.ByteLength)); weightMap[name!] = file; }
        }
        if (shards > 1)
            File.WriteAllText(Path.Combine(outDir, "model.safetensors.index.json"),
                JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
        var cfg = File.ReadAllText(TestPaths.Golden($"{folder}/config.json"));
        File.WriteAllText(Path.Combine(outDir, "config.json"), config?.Invoke(cfg) ?? cfg);
        return outDir;
    }

    [Fact]
    public void InMemoryKeySpellingWithATiedLmHeadConvertsToo()
    {
        using var dir = new TempDir();
        var folder = CopyHf(dir, "pg1-tiny/hf", n => n
            .Replace("language_model.model.", "model.language_model.")
            .Replace("vision_tower.vision_model.", "model.vision_tower.")
            .Replace("multi_modal_projector.", "model.multi_modal_projector."), shards: 3, lmHead: "lm_head.weight");
        using (var ck = KeySpelling.OpenHf(folder)) Assert.Equal(KeySpelling.InMemory, KeySpelling.Of(ck));
        var back = Hf2Jax.Run(new Hf2JaxOptions(folder, dir.File("b.npz"), Mappings));
        AssertBitIdentical(TestPaths.Golden("pg1-tiny/params.f32.npz"), back);
    }

    [Fact]
    public void AnUntiedLmHeadIsRefused()
    {
        using var dir = new TempDir();
        using var src = KeySpelling.OpenHf(TestPaths.Golden("pg1-tiny/hf"));
        var emb = src.Get("language_model.model.embed_tokens.weight");
        // the same shape, other values: the embedding read from one element on
        var shifted = emb with { Data = new Region(emb.Data.File, emb.Data.Offset + 4, emb.ByteLength) };
        var folder = CopyHf(dir, "pg1-tiny/hf", n => n);
        var file = Path.Combine(folder, "model.safetensors");
        var tensors = src.Tensors.Append(shifted with { Name = "lm_head.weight" }).ToList();
        File.Delete(file);
        using (var fs = File.Create(file))
        {
            fs.Write(SafetensorsFile.BuildHeader(tensors.Select(t => (t.Name, t.DType, t.Shape)), null));
            foreach (var t in tensors) fs.Write(t.Data.Span(0, (int)t.ByteLength));
        }
        var e = Assert.Throws<BadInputException>(() => Hf2Jax.Run(new Hf2JaxOptions(folder, dir.File("b.npz"), Mappings)));
        Assert.Contains("'language_model.lm_head.weight' should be tied to 'language_model.model.embed_tokens.weight'", e.Message);
    }

    [Theory]
    [InlineData("missing-tensor", "language_model.model.layers.1.mlp.down_proj.weight")]
    [InlineData("config-layers", "text_config.layer_types has 2 entries for 3 layers")]
    [InlineData("config-heads", "contradicts the tensors: text_config.num_attention_heads 8 against 4")]
    [InlineData("config-vocab", "text_config.vocab_size 400 against 320 rows of embed_tokens")]
    [InlineData("config-family", "text_config.model_type 'gemma' against 'gemma2' (Gemma 2 norms)")]
    [InlineData("no-config", "config.json is needed")]
    public void BadFoldersAreRefusedNamingWhatIsWrong(string damage, string expected)
    {
        using var dir = new TempDir();
        var folder = CopyHf(dir, "pg2-tiny/hf-legacy",
            n => damage == "missing-tensor" && n == expected ? null : n,
            c => damage switch
            {
                "config-layers" => c.Replace("\"num_hidden_layers\": 2,\n    \"num_image_tokens\"",
                    "\"num_hidden_layers\": 3,\n    \"num_image_tokens\""),
                "config-heads" => c.Replace("\"num_attention_heads\": 4,\n    \"num_hidden_layers\": 2,\n    \"num_image_tokens\"",
                    "\"num_attention_heads\": 8,\n    \"num_hidden_layers\": 2,\n    \"num_image_tokens\""),
                "config-vocab" => c.Replace("\"vocab_size\": 320", "\"vocab_size\": 400"),
                "config-family" => c.Replace("\"model_type\": \"gemma2\"", "\"model_type\": \"gemma\""),
                _ => c,
            });
        if (damage == "no-config") File.Delete(Path.Combine(folder, "config.json"));
        var e = Assert.ThrowsAny<Exception>(() => Hf2Jax.Run(new Hf2JaxOptions(folder, dir.File("b.npz"), Mappings)));
        Assert.True(e is BadInputException, e.ToString());
        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(dir.File("b.npz")));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void AMissingShardOrATensorAbsentFromTheIndexIsRefused()
    {
        using var dir = new TempDir();
        var folder = CopyHf(dir, "pg2-tiny/hf", n => n, shards: 2);
        var index = Path.Combine(folder, "model.safetensors.index.json");
        var text = File.ReadAllText(index);
        File.WriteAllText(index, text.Replace("\"language_model.model.norm.weight\":", "\"language_model.model.gone.weight\":"));
        var e = Assert.Throws<BadInputException>(() => Hf2Jax.Run(new Hf2JaxOptions(folder, dir.File("b.npz"), Mappings)));
        Assert.Contains("language_model.model.norm.weight", e.Message);
        File.WriteAllText(index, text);
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var f = Assert.Throws<BadInputException>(() => Hf2Jax.Run(new Hf2JaxOptions(folder, dir.File("b.npz"), Mappings)));
        Assert.Contains("model-00002-of-00002.safetensors", f.Message);
        Assert.False(File.Exists(dir.File("b.npz")));
    }
}
