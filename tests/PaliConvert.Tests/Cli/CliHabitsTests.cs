using System.Xml.Linq;

namespace PaliConvert.Tests.Cli;

/// <summary>What a new user runs into: errors that say what to do, '-' for stdout, JSON for scripts, the rules on screen.</summary>
public class CliHabitsTests
{
    private static string Npz => TestPaths.Golden("pg1-tiny/params.f32.npz");
    private static string Hf => TestPaths.Golden("pg1-tiny/hf");

    [Fact]
    public void AMistypedOptionIsNamedWithTheNearestAndTheUsagePrinted()
    {
        var (code, _, err) = CliRunner.Run("jax2hf", "--verfy", Npz, "x");
        Assert.Equal(2, code);
        Assert.Contains("'--verfy'", err);
        Assert.Contains("'--verify'", err);
        Assert.Contains("usage: paliconvert jax2hf <in> <out>", err);
    }

    [Fact]
    public void AMissingArgumentIsNamed()
    {
        var (code, _, err) = CliRunner.Run("merge-adapter", Hf);
        Assert.Equal(2, code);
        Assert.Contains("missing <adapter>", err);
        Assert.Contains("missing <out>", err);
    }

    [Fact]
    public void AFolderWithoutConfigJsonSaysSo()
    {
        using var dir = new TempDir();
        using var outs = new TempDir();
        File.Copy(Path.Combine(Hf, "model.safetensors"), dir.File("model.safetensors"));
        foreach (var cmd in new[] { "inspect", "logits" })
        {
            var (code, _, err) = CliRunner.Run(cmd == "inspect" ? [cmd, dir.Path] : [cmd, dir.Path, "--inputs",
                TestPaths.Golden("pg1-tiny/inputs.npz"), "--mask-key", "mask_ar_prefixlm", "--out", outs.File("l.npy")]);
            Assert.Equal(2, code);
            Assert.Contains("config.json", err);
        }
    }

    [Fact]
    public void AFileInsideAModelFolderPointsToTheFolder()
    {
        var (code, _, err) = CliRunner.Run("inspect", Path.Combine(Hf, "config.json"));
        Assert.Equal(2, code);
        Assert.Contains("give the folder", err);
        (code, _, err) = CliRunner.Run("logits", Hf, "--inputs", TestPaths.Golden("pg1-tiny"), "--out", "never.npy");
        Assert.Equal(2, code);
        Assert.Contains("is a folder", err);
    }

    [Fact]
    public void AnExistingCheckpointAsTheOutputWarnsThatTheDirectionMayBeBackwards()
    {
        using var dir = new TempDir();
        string npz = dir.File("params.npz");
        File.Copy(Npz, npz);
        var (code, _, err) = CliRunner.Run("hf2jax", Hf, npz);
        Assert.Equal(2, code);
        Assert.Contains("direction backwards", err);
        Assert.True(File.ReadAllBytes(npz).SequenceEqual(File.ReadAllBytes(Npz)));
    }

    [Fact]
    public void ConvertersPrintWhatTheyWroteAsJson()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("jax2hf", Npz, dir.File("hf"), "--json");
        Assert.True(code == 0, err);
        var j = AdapterFiles.Json(stdout);
        Assert.Equal("safetensors", j.GetProperty("format").GetString());
        Assert.True(j.GetProperty("tensors").GetInt32() >= 59); // the tiny model's HF tensors
        Assert.StartsWith("xxh3:", j.GetProperty("source_fingerprint").GetString());
        (code, stdout, err) = CliRunner.Run("export-onnx", Npz, dir.File("web"), "--layout", "split", "--dtype", "q4", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(["q4"], AdapterFiles.Json(stdout).GetProperty("variants").EnumerateArray().Select(v => v.GetString()));
        (code, stdout, _) = CliRunner.Run("hf2jax", dir.File("hf"), dir.File("back.npz"), "--json");
        Assert.Equal("npz", AdapterFiles.Json(stdout).GetProperty("format").GetString());
    }

    [Fact]
    public void ADashReportGoesToStdoutAndJUnitHasACasePerCheck()
    {
        using var dir = new TempDir();
        var (code, stdout, err) = CliRunner.Run("verify", Npz, Hf, "--report", "-");
        Assert.True(code == 0, err);
        Assert.True(AdapterFiles.Json(stdout).GetProperty("passed").GetBoolean());
        Assert.False(File.Exists("-"));
        (code, stdout, _) = CliRunner.Run("verify", Npz, Hf, "--junit", "-");
        var cases = XDocument.Parse(stdout).Descendants("testcase").Select(t => (string?)t.Attribute("name")).ToList();
        Assert.Equal(["facts", "weights", "logits"], cases);
    }

    [Fact]
    public void TheRulesAreOnTheScreen()
    {
        var (code, text, _) = CliRunner.Run("rules", "--family", "1");
        Assert.Equal(0, code);
        int at = text.IndexOf("llm/layers/attn/kv_einsum/w", StringComparison.Ordinal);
        Assert.True(at >= 0, text);
        var block = text[at..text.IndexOf("via", at, StringComparison.Ordinal)];
        Assert.Contains("self_attn.k_proj.weight", block);
        Assert.Contains("self_attn.v_proj.weight", block);
        Assert.Matches(@"llm/layers/attn/attn_vec_einsum/w[^\n]*\n\s+-> language_model\.model\.layers\.\{i\}\.self_attn\.o_proj", text);
        Assert.Matches(@"gating_einsum[^\n]*\n\s+-> [^\n]*gate_proj[^\n]*\n\s+-> [^\n]*up_proj", text);
        var json = AdapterFiles.Json(CliRunner.Run("rules", "--json").stdout);
        Assert.Contains(json.GetProperty("rows").EnumerateArray(), r => r.GetProperty("family").GetString() == "Gemma 2");
    }

    [Theory]
    [InlineData("pg1-3b-224", 32, 18), InlineData("pg2-10b-448", 34, 42)]
    public void AReleaseVariantIsDescribedWithoutItsFile(string variant, int entries, int layers)
    {
        var (code, stdout, err) = CliRunner.Run("inspect", "--variant", variant, "--json");
        Assert.True(code == 0, err);
        var j = AdapterFiles.Json(stdout);
        Assert.Equal(entries, j.GetProperty("tensors").GetArrayLength()); // one per kind, layers stacked on axis 0
        Assert.Equal(layers, j.GetProperty("decoder_layers").GetInt32());
        Assert.Equal(2, CliRunner.Run("inspect", "--variant", "pg3-1b-224").code);
    }
}
