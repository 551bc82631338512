using PaliConvert.Export;
using PaliConvert.Formats;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Pipeline;

/// <summary>One source per output: fingerprints recorded, and a hub folder never mixes two models' weights.</summary>
public class HubFolderTests
{
    private static string Export(string source, string folder, OnnxDType d, bool force = false) =>
        ExportOnnx.Run(new ExportOnnxOptions(source, folder, TestPaths.Mappings, new OnnxWeights(d), force, OnnxLayoutKind.Split));

    [Fact]
    public void AFineTunesVariantIsRefusedNamingBothFingerprintsAndForceSaysWhatItRemoves()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz"), tuned = FineTune.Write("pg2-tiny", dir.File("tuned.npz"));
        string web = Export(npz, dir.File("web"), OnnxDType.Fp32);
        string base_, other;
        using (var a = NpzCheckpoint.Open(npz)) base_ = Fingerprint.Of(a);
        using (var b = NpzCheckpoint.Open(tuned)) other = Fingerprint.Of(b);
        Assert.NotEqual(base_, other);
        var e = Assert.Throws<OutputExistsException>(() => Export(tuned, web, OnnxDType.Q4));
        Assert.Contains(base_, e.Message);
        Assert.Contains(other, e.Message);
        Assert.Equal([OnnxDType.Fp32], OnnxLayout.SplitDTypes(web));

        var (code, _, stderr) = CliRunner.Run("export-onnx", tuned, web, "--layout", "split", "--dtype", "q4", "--force");
        Assert.True(code == 0, stderr);
        Assert.Contains("removes its fp32 graphs", stderr);
        Assert.Equal([OnnxDType.Q4], OnnxLayout.SplitDTypes(web));
        Assert.Equal(other, HubFolder.Sources(web, [OnnxDType.Q4]).Single().fingerprint);
    }

    [Fact]
    public void AHandMixedHubFolderFailsCheckOnnxAndTheWeightsProof()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz"), tuned = FineTune.Write("pg2-tiny", dir.File("tuned.npz"));
        string web = Export(npz, dir.File("web"), OnnxDType.Fp32), other = Export(tuned, dir.File("other"), OnnxDType.Q4);
        foreach (var f in Directory.GetFiles(Path.Combine(other, "onnx")))
            File.Copy(f, Path.Combine(web, "onnx", Path.GetFileName(f))); // by hand: the export itself refuses this
        var (code, stdout, _) = CliRunner.Run("check-onnx", web);
        Assert.Equal(1, code);
        Assert.Contains("its variants come from different weights", stdout);
        var r = Validation.Weights.WeightsProofTests.Prove(npz, web, OnnxDType.Q4);
        Assert.Equal(["language_model.model.layers.0.self_attn.k_proj.weight", "language_model.model.layers.0.self_attn.v_proj.weight",
            "language_model.model.layers.1.self_attn.k_proj.weight", "language_model.model.layers.1.self_attn.v_proj.weight",
            "language_model.model.norm.weight"], r.Failures.Select(f => f.Target).Order());
        Assert.True(Validation.Weights.WeightsProofTests.Prove(npz, web, OnnxDType.Fp32).Passed);
    }

    [Theory]
    [InlineData("pg1-tiny/params.mixed.npz"), InlineData("pg2-tiny/hf")]
    public void TheFingerprintIsItsDefinitionHashedTensorByTensorInNameOrder(string model)
    {
        using var ck = KeySpelling.Open(TestPaths.Golden(model));
        var all = new System.IO.Hashing.XxHash3(); // the definition, written out again
        foreach (var t in ck.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var h = new System.IO.Hashing.XxHash3();
            h.Append(System.Text.Encoding.UTF8.GetBytes($"{t.Name}\n{t.DType.Label()}\n{Shape.Format(t.Shape)}\n"));
            h.Append(t.Data.Span(0, (int)t.ByteLength));
            all.Append(h.GetCurrentHash());
        }
        Assert.Equal($"xxh3:{all.GetCurrentHashAsUInt64():x16}", Fingerprint.Of(ck));
    }

    [Fact]
    public void TheFingerprintIsOfTheWeightsAndJax2HfRecordsIt()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz");
        string reordered = NpzCopy.Write(npz, dir.File("r.npz")); // same tensors, rewritten: same weights, other bytes around them
        string a, b;
        using (var x = NpzCheckpoint.Open(npz)) a = Fingerprint.Of(x);
        using (var y = NpzCheckpoint.Open(reordered)) b = Fingerprint.Of(y);
        Assert.Equal(a, b);
        Assert.Matches("^xxh3:[0-9a-f]{16}$", a);
        var hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings, MaxShardBytes: 20_000));
        var shards = Directory.GetFiles(hf, "*.safetensors");
        Assert.True(shards.Length > 1);
        foreach (var s in shards)
        {
            using var f = new MappedFile(s);
            var (_, meta) = SafetensorsFile.Read(f);
            Assert.Equal(a, meta[ModelFacts.SourceFingerprint]);
            Assert.Equal("params.f32.npz", meta[ModelFacts.SourceName]);
        }
    }

    [Fact]
    public void Hf2JaxRecordsItsSourceInTheArchiveCommentAndInspectDescribesAHubFolder()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings));
        var back = Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("back.npz"), TestPaths.Mappings));
        string fp;
        using (var h = KeySpelling.OpenHf(hf)) fp = Fingerprint.Of(h);
        using (var b = NpzCheckpoint.Open(back))
            Assert.Equal($"{ModelFacts.SourceFingerprint}={fp}\n{ModelFacts.SourceName}=hf", b.Comment);
        var oracle = System.Text.Json.JsonDocument.Parse(TestPaths.Python("npz_oracle.py", back)).RootElement;
        Assert.Equal(34, oracle.EnumerateObject().Count()); // numpy reads past the comment

        string web = Export(npz, dir.File("web"), OnnxDType.Fp32);
        Export(npz, web, OnnxDType.Q4);
        var (code, stdout, stderr) = CliRunner.Run("inspect", web, "--json");
        Assert.True(code == 0, stderr);
        var j = System.Text.Json.JsonDocument.Parse(stdout).RootElement;
        var graphs = j.GetProperty("graphs").EnumerateArray().ToList();
        Assert.Equal(6, graphs.Count);
        string expected;
        using (var n = NpzCheckpoint.Open(npz)) expected = Fingerprint.Of(n);
        Assert.All(graphs, g => Assert.Equal(expected, g.GetProperty("fingerprint").GetString()));
        Assert.Equal(["fp32", "q4"], graphs.Select(g => g.GetProperty("variant").GetString()).Distinct());
        Assert.True(j.GetProperty("one_source").GetBoolean());
        Assert.Equal("48", j.GetProperty("facts").GetProperty("text_config.hidden_size").GetString());
        Assert.Equal(0, CliRunner.Run("check-onnx", web).code);
    }

    [Fact]
    public void AddingAVariantKeepsTheUsersEditsToTheConfigs()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz");
        string web = Export(npz, dir.File("web"), OnnxDType.Fp32);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(web, "config.json")))!.AsObject();
        config["my_note"] = "tuned for receipts";
        File.WriteAllText(Path.Combine(web, "config.json"), config.ToJsonString());
        File.WriteAllText(Path.Combine(web, "generation_config.json"), "{\"eos_token_id\": [1, 107], \"max_new_tokens\": 64}");
        Export(npz, web, OnnxDType.Q8);
        var after = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(web, "config.json")))!;
        Assert.Equal("tuned for receipts", after["my_note"]!.GetValue<string>());
        var external = after["transformers.js_config"]!["use_external_data_format"]!.AsObject();
        Assert.Contains("decoder_model_merged_quantized.onnx", external.Select(kv => kv.Key));
        Assert.Contains("decoder_model_merged.onnx", external.Select(kv => kv.Key));
        Assert.Contains("107", File.ReadAllText(Path.Combine(web, "generation_config.json")));
    }
}
