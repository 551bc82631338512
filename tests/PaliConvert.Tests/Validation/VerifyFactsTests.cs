using System.Text.Json;
using System.Text.Json.Nodes;
using PaliConvert.Export;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using PaliConvert.Tests.Cli;

namespace PaliConvert.Tests.Validation;

/// <summary>verify compares what the consumer reads: each side's facts first, then the logits.</summary>
public class VerifyFactsTests
{
    public static TheoryData<string, double, string> Damage() => new()
    {
        { "text_config.rope_parameters.rope_theta", 1000, "text_config.rope_theta" },
        { "text_config.rms_norm_eps", 0.5, "text_config.rms_norm_eps" },
        { "text_config.attn_logit_softcapping", 5, "text_config.attn_logit_softcapping" },
        { "text_config.query_pre_attn_scalar", 12, "text_config.query_pre_attn_scalar" },
        { "vision_config.layer_norm_eps", 0.01, "vision_config.layer_norm_eps" },
        { "vision_config.num_attention_heads", 8, "vision_config.num_attention_heads" },
        { "text_config.sliding_window", 5, "text_config.sliding_window" },
    };

    /// <summary>A correct weights file with a config.json that says something else than the truth fails, naming the fact.</summary>
    [Theory, MemberData(nameof(Damage))]
    public void AConfigThatLiesFailsVerifyNamingTheFact(string key, double value, string fact)
    {
        using var dir = new TempDir();
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"),
            c => HfCopy.Set(c, key, value == Math.Floor(value) ? JsonValue.Create((int)value) : JsonValue.Create(value)));
        var r = Verify.Run(new VerifyOptions(TestPaths.Golden("pg2-tiny/params.f32.npz"), folder));
        Assert.False(r.Passed, r.ToText());
        var differing = Assert.Single(r.Facts, f => !f.Equal);
        Assert.Equal(fact, differing.Fact);
        Assert.Contains($"{fact}: source ", r.ToText());
        Assert.False(r.Summary.Passed, "the HF side's forward pass must read the fact too: " + r.ToText());
    }

    [Fact]
    public void TheCorrectFolderPassesAndTheCliExitsOneOnALie()
    {
        using var dir = new TempDir();
        var r = Verify.Run(new VerifyOptions(TestPaths.Golden("pg2-tiny/params.f32.npz"), TestPaths.Golden("pg2-tiny/hf")));
        Assert.True(r.Passed, r.ToText());
        Assert.Equal(25, r.Facts.Count);
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"), c => HfCopy.Set(c, "text_config.rope_parameters.rope_theta", 1000.0));
        var (code, stdout, stderr) = CliRunner.Run("verify", TestPaths.Golden("pg2-tiny/params.f32.npz"), folder, "--report",
            dir.File("r.json"));
        Assert.True(code == 1, stdout + stderr);
        Assert.Contains("text_config.rope_theta: source 10000, target 1000", stdout);
        var facts = JsonDocument.Parse(File.ReadAllText(dir.File("r.json"))).RootElement.GetProperty("facts");
        Assert.Contains(facts.EnumerateArray(), f => f.GetProperty("fact").GetString() == "text_config.rope_theta"
            && !f.GetProperty("equal").GetBoolean());
    }

    /// <summary>
    /// A folder transformers would run with queries scaled by (width/heads)^-0.5: the .npz's assumed head_dim differs and
    /// verify says so; stating the scalar for the .npz makes both sides agree.
    /// </summary>
    [Fact]
    public void AGuessIsNotAProofUntilTheFactIsStated()
    {
        using var dir = new TempDir();
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"), c => HfCopy.Set(c, "text_config.query_pre_attn_scalar", 12)); // 48 / 4
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var guessed = Verify.Run(new VerifyOptions(npz, folder));
        Assert.False(guessed.Passed);
        Assert.Equal("text_config.query_pre_attn_scalar", Assert.Single(guessed.Facts, f => !f.Equal).Fact);
        var stated = Verify.Run(new VerifyOptions(npz, folder, Stated: new StatedFacts(QueryPreAttnScalar: 12)));
        Assert.True(stated.Passed, stated.ToText());
        var viaConfig = Verify.Run(new VerifyOptions(npz, folder,
            Stated: new StatedFacts(ConfigFile: Path.Combine(folder, "config.json"))));
        Assert.True(viaConfig.Passed, viaConfig.ToText());
    }

    [Fact]
    public void AnOnnxExportCarriesItsFactsAndVerifyReadsThem()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var outDir = dir.File("onnx");
        ExportOnnx.Run(new ExportOnnxOptions(npz, outDir, TestPaths.Mappings, Stated: new StatedFacts(AttnSoftcap: 20)));
        var r = Verify.Run(new VerifyOptions(npz, Path.Combine(outDir, OnnxLayout.ModelFile)));
        Assert.False(r.Passed);
        var f = Assert.Single(r.Facts, f => !f.Equal);
        Assert.Equal(("text_config.attn_logit_softcapping", "50", "20"), (f.Fact, f.Source, f.Target));
        var same = Verify.Run(new VerifyOptions(npz, Path.Combine(outDir, OnnxLayout.ModelFile), Stated: new StatedFacts(AttnSoftcap: 20)));
        Assert.True(same.Passed, same.ToText());
    }

    [Fact]
    public void TheCliWarnsOfEachAssumedFactAndTakesStatedOnes()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz"), inputs = TestPaths.Golden("pg2-tiny/inputs.npz");
        var (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", inputs, "--mask-key", "mask_ar_prefixlm", "--out",
            dir.File("a.npy"));
        Assert.True(code == 0, stderr);
        Assert.Contains("assumed from big_vision's defaults", stderr);
        Assert.Single(stderr.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal)); // one line
        Assert.Contains("text_config.query_pre_attn_scalar 16", CliRunner.Run("inspect", npz).stdout); // inspect lists them
        Assert.Contains("--query-pre-attn-scalar", stderr);
        (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", inputs, "--mask-key", "mask_ar_prefixlm", "--out", dir.File("b.npy"),
            "--config", TestPaths.Golden("pg2-tiny/hf/config.json"));
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("warning", stderr);
        (code, _, stderr) = CliRunner.Run("jax2hf", npz, dir.File("hf"), "--query-pre-attn-scalar", "12", "--attn-softcap", "0");
        Assert.True(code == 0, stderr);
        var text = JsonNode.Parse(File.ReadAllText(dir.File("hf/config.json")))!["text_config"]!;
        Assert.Equal(12.0, text["query_pre_attn_scalar"]!.GetValue<double>());
        Assert.Null(text["attn_logit_softcapping"]);
        Assert.DoesNotContain("query_pre_attn_scalar", stderr);
    }
}
