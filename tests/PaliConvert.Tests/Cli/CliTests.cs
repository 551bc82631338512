using System.Text.Json;

namespace PaliConvert.Tests.Cli;

/// <summary>Runs the real paliconvert binary: arguments in, exit code and output out.</summary>
public class CliTests
{
    private static (int code, string stdout, string stderr) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void InspectPrintsLayersAndSummary()
    {
        var (code, stdout, _) = Run("inspect", TestPaths.Golden("pg2-tiny/params.bf16.npz"));
        Assert.Equal(0, code);
        Assert.Contains("PaliGemma 2", stdout);
        Assert.Contains("layers:     vision 2, decoder 2", stdout);
        Assert.Contains("dtypes:     bf16", stdout);
        Assert.Contains("llm/layers/attn/kv_einsum/w", stdout);
    }

    [Fact]
    public void InspectJsonIsMachineReadable()
    {
        var (code, stdout, _) = Run("inspect", "--json", TestPaths.Golden("pg1-tiny/hf"));
        Assert.Equal(0, code);
        var j = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(1, j.GetProperty("family").GetInt32());
        Assert.Equal(2, j.GetProperty("decoder_layers").GetInt32());
        Assert.Equal("safetensors", j.GetProperty("format").GetString());
    }

    [Fact]
    public void BadInputExitsTwoNamingTheFile()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("junk.npz"), [1, 2, 3, 4, 5]);
        var (code, stdout, stderr) = Run("inspect", dir.File("junk.npz"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("junk.npz", stderr);
        Assert.StartsWith("error:", stderr);
        Assert.Equal(2, Run("inspect", dir.File("missing.npz")).code);
        Assert.Equal(2, Run("no-such-command").code);
        Assert.Equal(2, Run("inspect").code);
    }

    [Fact]
    public void DiffExitCodesTellEqualFromDifferent()
    {
        Assert.Equal(0, Run("diff", TestPaths.Golden("pg1-tiny/hf"), TestPaths.Golden("pg1-tiny/hf-legacy")).code);
        var (code, stdout, _) = Run("diff", TestPaths.Golden("pg1-tiny/params.f32.npz"), TestPaths.Golden("pg1-tiny/params.mixed.npz"));
        Assert.Equal(1, code);
        Assert.Contains("by module:", stdout);
        Assert.Contains("llm/layers/attn", stdout);
    }

    [Fact]
    public void SynthRefusesToOverwriteAndRefusesUnknownVariants()
    {
        using var dir = new TempDir();
        string existing = dir.File("keep.npz");
        File.WriteAllText(existing, "precious");
        var (code, _, stderr) = Run("synth", "--variant", "pg1-3b-224", existing);
        Assert.Equal(2, code);
        Assert.Contains("--force", stderr);
        Assert.Equal("precious", File.ReadAllText(existing));
        (code, _, stderr) = Run("synth", "--variant", "pg9-1b-224", dir.File("x.npz"));
        Assert.Equal(2, code);
        Assert.Contains("unknown variant", stderr);
        Assert.Equal([existing], Directory.GetFiles(dir.Path)); // nothing half-written left behind
    }

    private static readonly string[] Commands = ["inspect", "diff", "synth", "jax2hf", "hf2jax", "logits", "verify", "export-onnx",
        "check-onnx", "generate"];

    [Fact]
    public void HelpListsEveryCommand()
    {
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var c in Commands) Assert.Contains($"  {c} ", stdout);
    }

    public static TheoryData<string, string[]> CommandOptions() => new()
    {
        { "inspect", ["<path>", "--json"] },
        { "diff", ["<a>", "<b>", "--all", "--json"] },
        { "synth", ["--variant", "--dtype", "--seed", "--force"] },
        { "jax2hf", ["--dtype", "--max-shard-size", "--no-pad-vocab", "--force", "--mappings", "--verify", "--atol", "--min-top1",
            "--report", "--junit",
            "--parquet", "--query-pre-attn-scalar", "--attn-softcap", "--final-softcap", "--config"] },
        { "hf2jax", ["--dtype", "--prefix", "--force", "--mappings"] },
        { "logits", ["--inputs", "--mask-key", "--out", "--query-pre-attn-scalar", "--config", "--dtype"] },
        { "verify", ["<source>", "<target>", "--inputs", "--atol", "--min-top1", "--max-kl", "--seed", "--engine", "--dtype", "--report",
            "--junit", "--parquet", "--config", "--image", "--prompt", "--prompts", "--max-new-tokens", "--tokenizer"] },
        { "generate", ["<model>", "--image", "--prompt", "--max-new-tokens", "--tokenizer", "--json", "--save-inputs", "--dtype",
            "--draw", "--preprocess"] },
        { "export-onnx", ["--dtype", "--block-size", "--asymmetric", "--layout", "--force", "--mappings", "--config",
            "--query-pre-attn-scalar"] },
        { "check-onnx", ["<model>"] },
    };

    [Theory, MemberData(nameof(CommandOptions))]
    public void EveryCommandsHelpDescribesItsOptions(string command, string[] options)
    {
        var (code, stdout, stderr) = Run(command, "--help");
        Assert.True(code == 0, stderr);
        Assert.Contains($"Usage:\n  paliconvert {command}", stdout);
        foreach (var o in options) Assert.Contains(o, stdout);
        // every option line carries a description after its name
        foreach (var line in stdout.Split('\n').Where(l => l.TrimStart().StartsWith("--") && !l.Contains("--help")))
            Assert.Matches(@"^\s+--\S+.*\S\s{2,}\S", line);
    }

    [Fact]
    public void Jax2HfWritesAFolderAndRefusesBadInputWithExitTwo()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run("jax2hf", TestPaths.Golden("pg2-tiny/params.bf16.npz"), dir.File("nested/folders/hf"));
        Assert.True(code == 0, stderr); // missing parent folders are created
        Assert.Equal([dir.File("nested/folders/hf")], Directory.GetDirectories(dir.File("nested/folders")));
        (code, stdout, stderr) = Run("jax2hf", TestPaths.Golden("pg2-tiny/params.bf16.npz"), dir.File("hf"), "--max-shard-size", "100KB");
        Assert.True(code == 0, stderr);
        Assert.Contains(dir.File("hf"), stdout);
        Assert.True(File.Exists(Path.Combine(dir.File("hf"), "model.safetensors.index.json")));
        Assert.Contains("\"bfloat16\"", File.ReadAllText(Path.Combine(dir.File("hf"), "config.json")));
        (code, _, stderr) = Run("jax2hf", TestPaths.Golden("pg2-tiny/params.bf16.npz"), dir.File("hf"));
        Assert.Equal(2, code);
        Assert.Contains("--force", stderr);
        (code, _, stderr) = Run("jax2hf", TestPaths.Golden("pg2-tiny/params.bf16.npz"), dir.File("x"), "--max-shard-size", "lots");
        Assert.Equal(2, code);
        Assert.Contains("--max-shard-size 'lots' is not a size", stderr);
        (code, _, stderr) = Run("jax2hf", TestPaths.Golden("pg2-tiny/params.bf16.npz"), dir.File("x"), "--max-shard-size",
            "99999999999999999GB");
        Assert.Equal(2, code);
        Assert.Contains("too large", stderr);
        Assert.False(Directory.Exists(dir.File("x")));
    }

    [Fact]
    public void Jax2HfVerifyConvertsThenProvesTheConversion()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf"), "--verify", "--junit",
            dir.File("v.xml"));
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("PASS", stdout);
        Assert.True(File.Exists(dir.File("v.xml")));
        // bf16 output of an f32 source: the weights are proved bf16-rounded first, so the bf16 bound applies by default
        (code, stdout, _) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf16"), "--dtype", "bf16", "--verify");
        Assert.True(code == 0, stdout);
        Assert.Contains("bf16-rounded", stdout);
        // a stated tolerance is the user's: atol tighter than bf16's rounding fails it
        (code, stdout, _) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf16"), "--dtype", "bf16", "--verify",
            "--atol", "1e-7", "--force");
        Assert.Equal(1, code);
        Assert.Contains("FAIL", stdout);
    }

    [Fact]
    public void Jax2HfVerifyRefusesAnExistingReportBeforeItConverts()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("v.xml"), "an earlier report");
        var (code, _, stderr) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf"), "--verify", "--junit",
            dir.File("v.xml"));
        Assert.Equal(2, code);
        Assert.Contains("v.xml", stderr);
        Assert.False(Directory.Exists(dir.File("hf"))); // refused before the work, not after it
        Assert.Equal("an earlier report", File.ReadAllText(dir.File("v.xml")));
    }

    [Fact]
    public void TheWrongKindOfInputPointsToTheRightCommand()
    {
        var (code, _, stderr) = Run("jax2hf", TestPaths.Golden("pg1-tiny/hf"), Path.Combine(Path.GetTempPath(), "never-written"));
        Assert.Equal(2, code);
        Assert.Contains("use hf2jax", stderr);
        (code, _, stderr) = Run("hf2jax", TestPaths.Golden("pg1-tiny/params.f32.npz"),
            Path.Combine(Path.GetTempPath(), "never-written.npz"));
        Assert.Equal(2, code);
        Assert.Contains("use jax2hf", stderr);
        (code, _, stderr) = Run("inspect", TestPaths.Golden("pg1-tiny/inputs.npz"));
        Assert.Equal(2, code);
        Assert.Contains("'img/embedding/kernel' is missing; is this a PaliGemma checkpoint?", stderr);
    }
}
