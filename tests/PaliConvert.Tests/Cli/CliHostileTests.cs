using System.Diagnostics;

namespace PaliConvert.Tests.Cli;

/// <summary>The command line as hostile input: response files, broken standard streams, numbers that are not finite.</summary>
public class CliHostileTests
{
    private static (int code, string stderr) Shell(string redirects, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = !redirects.Contains("2>") };
        string dll = Path.Combine(AppContext.BaseDirectory, "paliconvert.dll");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"dotnet '{dll}' {string.Join(" ", args.Select(a => $"'{a}'"))} {redirects}");
        using var p = Process.Start(psi)!;
        string err = psi.RedirectStandardError ? p.StandardError.ReadToEnd() : "";
        p.WaitForExit();
        return (p.ExitCode, err);
    }

    [Fact]
    public void AnArgumentStartingWithAtIsANameNotAResponseFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("args.txt"), "secret-words-from-the-file");
        var (code, _, stderr) = CliRunner.Run("inspect", "@" + dir.File("args.txt"));
        Assert.Equal(2, code);
        Assert.DoesNotContain("secret-words-from-the-file", stderr);
        Assert.Contains($"@{dir.File("args.txt")}", stderr);
        File.Copy(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("@model.npz"));
        (code, _, stderr) = CliRunner.Run("inspect", dir.File("@model.npz"));
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void AFullStdoutIsAnErrorAfterTheWorkAndAFullOrClosedStderrIsSurvived()
    {
        using var dir = new TempDir();
        var (code, stderr) = Shell("> /dev/full", "inspect", TestPaths.Golden("pg1-tiny/hf"));
        Assert.Equal(2, code);
        Assert.Contains("standard output could not be written", stderr);
        (code, _) = Shell("2> /dev/full > /dev/null", "jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("a"));
        Assert.Equal(0, code); // its warning could not be printed; the work is done
        Assert.True(File.Exists(dir.File("a/model.safetensors")));
        (code, _) = Shell("2>&- >&-", "jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("b"));
        Assert.Equal(2, code); // the printed path was lost
        Assert.True(File.Exists(dir.File("b/model.safetensors")));
    }

    [Theory]
    [InlineData("--min-top1", "NaN"), InlineData("--atol", "Infinity"), InlineData("--max-kl", "1e999")]
    public void NumberOptionsTakeFiniteValues(string option, string value)
    {
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz");
        var (code, _, stderr) = CliRunner.Run("verify", npz, npz, option, value);
        Assert.Equal(2, code);
        Assert.Contains($"{option} takes a finite number, not '{value}'", stderr);
    }

    [Fact]
    public async Task AFifoOrAGarbageTokenizerInAnHfFolderIsRefusedNotWaitedOnOrCarried()
    {
        using var dir = new TempDir();
        string hf = dir.File("hf");
        Directory.CreateDirectory(hf);
        foreach (var f in Directory.GetFiles(TestPaths.Golden("pg1-tiny/hf"))) File.Copy(f, Path.Combine(hf, Path.GetFileName(f)));
        Process.Start("mkfifo", Path.Combine(hf, "tokenizer.model"))!.WaitForExit();
        var run = Task.Run(() => CliRunner.Run("hf2jax", hf, dir.File("o.npz")));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "hf2jax waited on a FIFO");
        var (fifoCode, _, fifoErr) = await run;
        Assert.Equal(2, fifoCode);
        Assert.Contains("tokenizer.model: not a regular file", fifoErr);
        Assert.False(File.Exists(dir.File("o.npz")));

        File.Delete(Path.Combine(hf, "tokenizer.model"));
        File.CreateSymbolicLink(Path.Combine(hf, "tokenizer.json"), "/etc/hostname");
        var (code, _, stderr) = CliRunner.Run("export-onnx", hf, dir.File("onnx"));
        Assert.Equal(2, code);
        Assert.Contains("tokenizer.json: not valid JSON", stderr);
        Assert.False(Directory.Exists(dir.File("onnx")));
    }

    [Fact]
    public void AloneItListsTheCommandsAndEveryDTypeSpellingIsTaken()
    {
        var (code, stdout, _) = CliRunner.Run();
        Assert.Equal(2, code);
        Assert.Contains("  jax2hf ", stdout);
        Assert.Contains("  generate ", stdout);
        using var dir = new TempDir();
        foreach (var (spelling, i) in new[] { "fp16", "float16", "f16", "bfloat16" }.Select((s, i) => (s, i)))
        {
            var (c, _, stderr) = CliRunner.Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File($"o{i}"), "--dtype",
                spelling);
            Assert.True(c == 0, spelling + ": " + stderr);
        }
    }

    [Fact]
    public void AFileOutputSpeltAsAFolderAndAFolderOutputSpeltAsAFileAreRefused()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz");
        var (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", TestPaths.Golden("pg1-tiny/inputs.npz"), "--all-prefix",
            "--out", dir.File("logits") + "/");
        Assert.Equal(2, code);
        Assert.Contains("names a folder (it ends with '/')", stderr);
        (code, _, stderr) = CliRunner.Run("jax2hf", npz, dir.File("out.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("writes a Hugging Face folder", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
