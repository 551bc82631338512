using System.Text.Json.Nodes;
using PaliConvert.Adapters;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Adapters;

/// <summary>Adapters that cannot be merged exactly are refused before any work, naming the file and the key.</summary>
public class LoraAdapterTests
{
    private const string Q1 = "base_model.model.language_model.model.layers.1.self_attn.q_proj";
    private static string Hf => TestPaths.Golden("pg1-tiny/hf");

    private static BadInputException Refused(string adapter)
    {
        using var ck = SafetensorsCheckpoint.Open(Hf);
        var views = ck.Tensors.ToDictionary(t => t.Name, TensorView.Of);
        return Assert.ThrowsAny<BadInputException>(() =>
        {
            using var a = LoraAdapter.Open(adapter);
            a.Bind(views);
        });
    }

    private static string Good(TempDir dir) => AdapterFiles.Make(Hf, "rslora-patterns", dir.File("good"));

    public static TheoryData<string> Hostile() =>
    [
        "wrong-shape", "nan", "missing-b", "unknown-key", "not-in-base", "ia3", "fan-in-fan-out", "bias", "rank", "untargeted",
        "missing-target", "dora-without-magnitude", "lm-head", "bad-regex",
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void IsRefusedNamingTheKey(string kind)
    {
        using var dir = new TempDir();
        string good = Good(dir), bad = dir.File("bad");
        string named = Q1 + ".lora_A.weight", file = Path.Combine(bad, "adapter_model.safetensors");
        switch (kind)
        {
            case "wrong-shape":
                AdapterFiles.Copy(good, bad, change: t => t.Name == named ? ([4, 63], new float[4 * 63]) : null);
                break;
            case "nan":
                named = Q1 + ".lora_B.weight";
                AdapterFiles.Copy(good, bad, change: t => t.Name == named ? (t.Shape, [float.NaN, .. new float[t.Elements - 1]]) : null);
                break;
            case "missing-b":
                AdapterFiles.Copy(good, bad, drop: [Q1 + ".lora_B.weight"]);
                named = Q1 + ".lora_B.weight";
                break;
            case "unknown-key":
                named = Q1 + ".lora_B.bias";
                AdapterFiles.Copy(good, bad, add: [(named, [64], new float[64])]);
                break;
            case "not-in-base":
                string extra = "base_model.model.language_model.model.layers.7.self_attn.q_proj.lora_A.weight";
                AdapterFiles.Copy(good, bad, add: [(extra, [4, 64], new float[256]),
                    (extra.Replace("lora_A", "lora_B"), [64, 4], new float[256])]);
                named = "layers.7.self_attn.q_proj";
                break;
            case "lm-head":
                named = "base_model.model.language_model.lm_head.lora_B.weight";
                AdapterFiles.Copy(good, bad, add: [(named, [320, 4], new float[1280]),
                    (named.Replace("lora_B", "lora_A"), [4, 64], new float[256])]);
                break;
            case "ia3": (named, file) = Config(good, bad, c => c["peft_type"] = "IA3", "peft_type"); break;
            case "fan-in-fan-out": (named, file) = Config(good, bad, c => c["fan_in_fan_out"] = true, "fan_in_fan_out"); break;
            case "bias": (named, file) = Config(good, bad, c => c["bias"] = "all", "bias"); break;
            case "bad-regex":
                (named, file) = Config(good, bad, c => c["rank_pattern"] = new JsonObject { ["(q"] = 2 }, "rank_pattern");
                break;
            case "rank":
                AdapterFiles.Copy(good, bad, c => c["rank_pattern"] = new JsonObject { ["q_proj"] = 8 });
                named = Q1;
                break;
            case "untargeted": // the file's first module that k_proj alone does not select
                AdapterFiles.Copy(good, bad, c => c["target_modules"] = new JsonArray("k_proj"));
                named = "layers.1.mlp.down_proj";
                break;
            case "missing-target":
                AdapterFiles.Copy(good, bad, c => c["layers_to_transform"] = new JsonArray(0, 1));
                named = "language_model.model.layers.0.";
                break;
            case "dora-without-magnitude":
                AdapterFiles.Copy(good, bad, c => c["use_dora"] = true);
                named = "lora_magnitude_vector";
                break;
        }
        var e = Refused(bad);
        Assert.Equal(file, e.File);
        Assert.True(e.Message.Contains(named), e.Message);
        Assert.Equal(ErrorKind.BadInput, e.Kind);
    }

    private static (string, string) Config(string good, string bad, Action<JsonObject> edit, string key)
    {
        AdapterFiles.Copy(good, bad, edit);
        return (key, Path.Combine(bad, "adapter_config.json"));
    }

    [Fact]
    public void AHugeHeaderClaimIsRefusedWithoutReadingIt()
    {
        using var dir = new TempDir();
        string bad = AdapterFiles.Copy(Good(dir), dir.File("bad"));
        string file = Path.Combine(bad, "adapter_model.safetensors");
        using (var fs = File.OpenWrite(file)) fs.Write(BitConverter.GetBytes(10L << 30)); // a 10 GB header length
        var e = Refused(bad);
        Assert.Equal(file, e.File);
    }

    [Fact]
    public void TheCliExitsTwoAndWritesNothing()
    {
        using var dir = new TempDir();
        string bad = AdapterFiles.Copy(Good(dir), dir.File("bad"), drop: [Q1 + ".lora_A.weight"]);
        foreach (var args in new[]
        {
            new[] { "merge-adapter", Hf, bad, dir.File("out") },
            ["hf2jax", Hf, dir.File("out.npz"), "--adapter", bad],
            ["export-onnx", Hf, dir.File("out"), "--adapter", bad],
        })
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Contains("lora_A", err);
            Assert.False(Path.Exists(dir.File("out")) || Path.Exists(dir.File("out.npz")));
        }
        string onnx = PaliConvert.Pipeline.ExportOnnx.Run(new PaliConvert.Pipeline.ExportOnnxOptions(Hf, dir.File("onnx"),
            TestPaths.Mappings));
        var (lc, _, lerr) = CliRunner.Run("logits", Path.Combine(onnx, "model.onnx"), "--inputs", TestPaths.Golden("pg1-tiny/inputs.npz"),
            "--mask-key", "mask_ar_prefixlm", "--out", dir.File("l.npy"), "--adapter", Good(dir));
        Assert.Equal(2, lc);
        Assert.Contains("adapter", lerr);
        Assert.False(File.Exists(dir.File("l.npy")));
    }

    [Fact]
    public void InspectDescribesTheAdapterAndDiffSizesItsUpdates()
    {
        using var dir = new TempDir();
        string good = Good(dir);
        var (code, text, _) = CliRunner.Run("inspect", good);
        Assert.Equal(0, code);
        Assert.Contains("rsLoRA", text);
        Assert.Matches(@"decoder\s+self_attn\.v_proj\s+1\s+r 2\s+alpha 8\s+scale 5\.65685", text); // rank_pattern, layer 1 only
        Assert.Matches(@"decoder\s+mlp\.down_proj\s+1\s+r 4\s+alpha 3\s+scale 1\.5", text); // alpha_pattern under rsLoRA
        var json = AdapterFiles.Json(CliRunner.Run("inspect", good, "--json").stdout);
        Assert.Equal("rsLoRA", json.GetProperty("method").GetString());
        var (dcode, diff, _) = CliRunner.Run("diff", Hf, Hf, "--adapter", good, "--json");
        Assert.Equal(1, dcode);
        var tensors = AdapterFiles.Json(diff).GetProperty("tensors").EnumerateArray().ToList();
        double Rel(string n) => tensors.First(t => t.GetProperty("name").GetString() == n).GetProperty("relative_change").GetDouble();
        Assert.True(Rel("language_model.model.layers.1.self_attn.q_proj.weight") > 0.01);
        Assert.Equal(0, Rel("language_model.model.layers.0.self_attn.q_proj.weight"));
    }

    /// <summary>
    /// adapter_config.json mutated (bytes flipped, cut, and every key's value swapped for another JSON type) through the
    /// fuzz harness's reader: each is read or refused as bad input naming a file of the folder; nothing else escapes.
    /// </summary>
    [Fact]
    public void MutatedConfigsAreReadOrRefusedCleanly()
    {
        using var dir = new TempDir();
        string good = Good(dir), config = Path.Combine(good, "adapter_config.json");
        var original = File.ReadAllBytes(config);
        var root = JsonNode.Parse(original)!.AsObject();
        var cases = new List<byte[]>();
        var rng = new Random(25);
        for (int i = 0; i < 300; i++)
        {
            var b = (byte[])original.Clone();
            for (int k = 0; k < 1 + rng.Next(4); k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            cases.Add(rng.Next(4) == 0 ? b[..rng.Next(b.Length)] : b);
        }
        string[] values = ["[]", "{}", "\"x\"", "-1", "0", "1e999", "null", "true", "\"(\"", "[1, \"a\"]", "{\"(q\": 1}"];
        foreach (var key in root.Select(kv => kv.Key).Concat(["layers_to_transform", "layers_pattern", "exclude_modules",
            "alpha_pattern", "modules_to_save", "use_dora", "target_parameters"]).Distinct())
            foreach (var v in values)
            {
                var copy = JsonNode.Parse(original)!.AsObject();
                copy[key] = JsonNode.Parse(v);
                cases.Add(System.Text.Encoding.UTF8.GetBytes(copy.ToJsonString()));
            }
        int read = 0;
        foreach (var c in cases)
        {
            File.WriteAllBytes(config, c);
            try
            {
                Readers.Read("adapter", config);
                read++;
            }
            catch (BadInputException e)
            {
                Assert.StartsWith(good, e.File);
            }
        }
        Assert.InRange(read, 1, cases.Count - 1); // some mutations still read, most are refused
    }
}
