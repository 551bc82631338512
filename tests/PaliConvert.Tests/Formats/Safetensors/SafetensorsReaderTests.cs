using System.Text;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Formats.Safetensors;

public class SafetensorsReaderTests
{
    /// <summary>A safetensors file from a literal JSON header and a data area, exactly as given (hostile ones too).</summary>
    private static string Raw(string path, string json, int dataBytes, ulong? lyingLength = null)
    {
        var j = Encoding.UTF8.GetBytes(json);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes(lyingLength ?? (ulong)j.Length));
        fs.Write(j);
        fs.Write(new byte[dataBytes]);
        return path;
    }

    [Theory]
    [InlineData("pg1-tiny/hf-legacy"), InlineData("pg1-tiny/hf"), InlineData("pg2-tiny/hf-legacy"), InlineData("pg2-tiny/hf")]
    public void GoldenFoldersReadWithHubKeysAndValuesThatMatchTheNpz(string folder)
    {
        using var hf = SafetensorsCheckpoint.Open(TestPaths.Golden(folder));
        using var npz = NpzCheckpoint.Open(TestPaths.Golden(folder.Split('/')[0] + "/params.f32.npz"));
        Assert.Equal(0, hf.Renamed);
        Assert.All(hf.Tensors, t => Assert.Equal(DType.F32, t.DType));
        // Tensors copied unchanged by the conversion must be bit-identical to the big_vision ones.
        AssertSameBytes(npz.Get("llm/final_norm/scale"), hf.Get("language_model.model.norm.weight"), 0);
        AssertSameBytes(npz.Get("img/head/bias"), hf.Get("multi_modal_projector.linear.bias"), 0);
        var emb = npz.Get("llm/embedder/input_embedding");
        var hfEmb = hf.Get("language_model.model.embed_tokens.weight");
        Assert.Equal(320, hfEmb.Shape[0]);
        AssertSameBytes(emb, hfEmb, 0); // the first 300 rows; the rest is padding
    }

    private static void AssertSameBytes(TensorInfo a, TensorInfo b, long offset)
    {
        Assert.True(a.Data.Span(0, (int)a.ByteLength).SequenceEqual(b.Data.Span(offset, (int)a.ByteLength)), $"{a.Name} vs {b.Name}");
    }

    [Fact]
    public void ARenameFunctionPresentsStoredNamesUnderAnother()
    {
        using var dir = new TempDir();
        string json = "{" + string.Join(",",
            Entry("model.language_model.layers.0.self_attn.q_proj.weight", "F32", "[2]", "[0,8]"),
            Entry("model.vision_tower.encoder.layers.0.mlp.fc1.bias", "BF16", "[2]", "[8,12]"),
            Entry("model.multi_modal_projector.linear.bias", "F16", "[1]", "[12,14]"),
            Entry("lm_head.weight", "F16", "[1]", "[14,16]")) + "}";
        Raw(dir.File("model.safetensors"), json, 16);
        using (var stored = SafetensorsCheckpoint.Open(dir.Path))
        {
            Assert.Equal(0, stored.Renamed);
            Assert.NotNull(stored.Find("lm_head.weight"));
        }
        using var ck = SafetensorsCheckpoint.Open(dir.Path, KeySpelling.ToHub); // the PaliGemma spellings (Models)
        Assert.Equal(KeySpelling.InMemory, KeySpelling.Of(ck));
        Assert.NotNull(ck.Find("language_model.model.layers.0.self_attn.q_proj.weight"));
        Assert.NotNull(ck.Find("vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias"));
        Assert.NotNull(ck.Find("multi_modal_projector.linear.bias"));
        Assert.NotNull(ck.Find("language_model.lm_head.weight"));
    }

    public static TheoryData<string, int, string> HostileFiles() => new()
    {
        { "{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("b", "F32", "[2]", "[4,12]") + "}", 12,
            "tensor 'b' (bytes 4..12) overlaps 'a'" },
        { "{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("b", "F32", "[1]", "[12,16]") + "}", 16, "gap before tensor 'b'" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "4 bytes after the last tensor" },
        { """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "truncated" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "f32 (3) needs 12 bytes but data_offsets give 8" },
        { "{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("a", "F32", "[2]", "[8,16]") + "}", 16, "tensor 'a' is listed twice" },
        { """{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8, "unsupported safetensors dtype 'C64'" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "bad dimension" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 4, "bad data_offsets" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, "not valid JSON" },
        { """[1,2]""", 0, "not a JSON object" },
        { """{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}""", 4, "too large" },
    };

    [Theory, MemberData(nameof(HostileFiles))]
    public void HostileFilesAreRefusedWithTheReason(string json, int dataBytes, string expected)
    {
        using var dir = new TempDir();
        var path = Raw(dir.File("bad.safetensors"), json, dataBytes);
        var e = Assert.Throws<BadInputException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void OversizedHeaderLengthIsRefusedBeforeReading()
    {
        using var dir = new TempDir();
        var path = Raw(dir.File("big.safetensors"), "{}", 0, lyingLength: 200_000_000);
        var e = Assert.Throws<BadInputException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("exceeds the 100000000-byte cap", e.Message);
        path = Raw(dir.File("long.safetensors"), "{}", 0, lyingLength: 5000);
        e = Assert.Throws<BadInputException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Contains("runs past the end of the file", e.Message);
    }

    private static string Shard(int i) => $"model-{i:D5}-of-00002.safetensors";

    private static string Shards(string s) => s.Replace("{S1}", Shard(1)).Replace("{S2}", Shard(2)).Replace("{S3}", Shard(3));

    /// <summary>One header entry: "name":{"dtype":...,"shape":...,"data_offsets":...}.</summary>
    private static string Entry(string name, string dtype, string shape, string offsets) =>
        $$"""
        "{{name}}":{"dtype":"{{dtype}}","shape":{{shape}},"data_offsets":{{offsets}}}
        """;

    private static void Sharded(TempDir dir, string weightMap)
    {
        Raw(dir.File(Shard(1)), """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4);
        Raw(dir.File(Shard(2)), "{" + Entry("y", "F32", "[1]", "[0,4]") + "," + Entry("w", "F32", "[1]", "[4,8]") + "}", 8);
        string index = """{"metadata":{"total_size":8},"weight_map":{""" + Shards(weightMap) + "}}";
        File.WriteAllText(dir.File("model.safetensors.index.json"), index);
    }

    [Fact]
    public void ShardedFolderReadsThroughTheIndex()
    {
        using var dir = new TempDir();
        Sharded(dir, """ "x":"{S1}","y":"{S2}","w":"{S2}" """);
        using var ck = SafetensorsCheckpoint.Open(dir.Path);
        Assert.Equal(2, ck.Files.Count);
        Assert.Equal(["x", "y", "w"], ck.Tensors.Select(t => t.Name));
    }

    [Theory]
    [InlineData(""" "x":"../{S1}","y":"{S2}" """, "not a plain file name")]
    [InlineData(""" "x":"/etc/passwd","y":"{S2}" """, "not a plain file name")]
    [InlineData(""" "x":"sub/{S1}","y":"{S2}" """, "not a plain file name")]
    [InlineData(""" "x":"{S1}","y":"{S3}" """, "shard '{S3}' is missing")]
    [InlineData(""" "x":"{S1}","y":"{S2}" """, "tensor 'w' is in this shard but the index does not list it")]
    [InlineData(""" "x":"{S2}","y":"{S2}","w":"{S2}" """, "tensor 'x' is not in the shard the index names ('{S2}')")]
    [InlineData(""" "x":"{S1}","y":"{S2}","w":"{S2}","z":"{S2}" """, "tensor 'z' is not in the shard")]
    public void BadIndexesAreRefused(string weightMap, string expected)
    {
        using var dir = new TempDir();
        Sharded(dir, weightMap);
        var e = Assert.ThrowsAny<Exception>(() => SafetensorsCheckpoint.Open(dir.Path));
        Assert.True(e is BadInputException or FileNotFoundException, e.ToString());
        Assert.Contains(Shards(expected), e.Message);
    }

    [Fact]
    public void HeaderBuiltByTheWriterSideParsesBack()
    {
        using var dir = new TempDir();
        var header = SafetensorsFile.BuildHeader([("a", DType.BF16, [2, 3]), ("b", DType.F32, [])], new Dictionary<string,
            string> { ["format"] = "pt" });
        Assert.Equal(0, (header.Length - 8) % 8);
        var path = dir.File("w.safetensors");
        File.WriteAllBytes(path, [.. header, .. new byte[16]]);
        using var mf = new MappedFile(path);
        var (entries, meta) = SafetensorsFile.Read(mf);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal([2L, 3L], entries.Single(e => e.Name == "a").Shape);
        Assert.Equal(12, entries.Single(e => e.Name == "b").Data.Offset - entries.Single(e => e.Name == "a").Data.Offset);
    }
}
