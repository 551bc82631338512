using System.Diagnostics;
using System.Text.Json;

namespace PaliConvert.Tests.Cli;

/// <summary>Runs the real paliconvert binary: arguments in, exit code and output out.</summary>
public class CliTests
{
    internal static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "paliconvert.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

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

    [Fact]
    public void HelpListsTheCommands()
    {
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var c in new[] { "inspect", "diff", "synth" }) Assert.Contains(c, stdout);
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
        Assert.Contains("bad size", stderr);
        Assert.False(Directory.Exists(dir.File("x")));
    }

    [Fact]
    public void Jax2HfVerifyConvertsThenProvesTheConversion()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf"), "--verify", "--junit", dir.File("v.xml"));
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("PASS", stdout);
        Assert.True(File.Exists(dir.File("v.xml")));
        // bf16 output of an f32 source differs by bf16 rounding: the default tolerance says so, a stated one accepts it
        (code, stdout, _) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf16"), "--dtype", "bf16", "--verify");
        Assert.Equal(1, code);
        Assert.Contains("FAIL", stdout);
        (code, stdout, _) = Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf16"), "--dtype", "bf16", "--verify", "--atol", "0.5", "--force");
        Assert.True(code == 0, stdout);
    }

    [Fact]
    public void TheWrongKindOfInputPointsToTheRightCommand()
    {
        var (code, _, stderr) = Run("jax2hf", TestPaths.Golden("pg1-tiny/hf"), Path.Combine(Path.GetTempPath(), "never-written"));
        Assert.Equal(2, code);
        Assert.Contains("use hf2jax", stderr);
        (code, _, stderr) = Run("hf2jax", TestPaths.Golden("pg1-tiny/params.f32.npz"), Path.Combine(Path.GetTempPath(), "never-written.npz"));
        Assert.Equal(2, code);
        Assert.Contains("use jax2hf", stderr);
        (code, _, stderr) = Run("inspect", TestPaths.Golden("pg1-tiny/inputs.npz"));
        Assert.Equal(2, code);
        Assert.Contains("'img/embedding/kernel' is missing; is this a PaliGemma checkpoint?", stderr);
    }
}
