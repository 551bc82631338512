using PaliConvert.IO;

namespace PaliConvert.Tests.IO;

/// <summary>Outputs never damage inputs or each other: locks, overlap with inputs, leftovers of killed runs, overwrites.</summary>
public class OutputSafetyTests
{
    [Fact]
    public void ASecondWriterOfTheSameOutputIsRefusedNamingTheHolder()
    {
        using var dir = new TempDir();
        using var first = AtomicOutput.ForFolder(dir.File("out"), force: false);
        var e = Assert.Throws<OutputException>(() => AtomicOutput.ForFolder(dir.File("out"), force: true));
        Assert.Contains("is being written by another paliconvert run", e.Message);
        Assert.Contains($"process {Environment.ProcessId}", e.Message);
        first.Dispose();
        using var again = AtomicOutput.ForFolder(dir.File("out"), force: false); // released
    }

    [Fact]
    public void LeftoversOfAKilledRunAreRemovedAndReported()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File(".hf.partial-999999-deadbeef"));
        File.WriteAllText(dir.File(".hf.partial-999999-deadbeef/model.safetensors"), "half");
        var (code, _, stderr) = CliRunner.Run("jax2hf", TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("hf"));
        Assert.True(code == 0, stderr);
        Assert.Contains("removed 1 unfinished output(s) left by a run that was killed", stderr);
        Assert.Equal([dir.File("hf")], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AnOldOutputMovedAsideIsLeftNamedWhenTheTargetIsMissingAndRemovedOnceItExists()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File(".hf.old-999999-deadbeef"));
        File.WriteAllText(dir.File(".hf.old-999999-deadbeef/config.json"), "{}");
        var scope = new RunScope();
        using (var o = AtomicOutput.ForFolder(scope, dir.File("hf"), force: false)) o.Commit();
        Assert.Contains(scope.Warnings, w => w.Kind == WarningKind.OldOutputLeft && w.Message.Contains(".hf.old-999999-deadbeef"));
        Assert.Equal("{}", File.ReadAllText(dir.File(".hf.old-999999-deadbeef/config.json"))); // not made the output
        using (var o = AtomicOutput.ForFolder(scope, dir.File("hf"), force: true)) o.Commit();
        Assert.False(Directory.Exists(dir.File(".hf.old-999999-deadbeef")));
    }

    [Theory]
    [InlineData("jax2hf", "inside")]
    [InlineData("export-onnx", "is")]
    [InlineData("hf2jax", "lies-inside")]
    public void AnOutputThatOverlapsTheInputIsRefusedAndTheInputKept(string command, string how)
    {
        using var dir = new TempDir();
        string hf = dir.File("hf");
        foreach (var f in Directory.GetFiles(TestPaths.Golden("pg1-tiny/hf"))) { Directory.CreateDirectory(hf); File.Copy(f,
            Path.Combine(hf, Path.GetFileName(f))); }
        string npz = Path.Combine(hf, "params.npz");
        File.Copy(TestPaths.Golden("pg1-tiny/params.f32.npz"), npz);
        var before = Directory.GetFiles(hf).ToDictionary(f => f, File.ReadAllBytes);
        var (code, _, stderr) = command == "jax2hf"
            ? CliRunner.Run("jax2hf", npz, hf, "--force")
            : how == "is"
                ? CliRunner.Run("export-onnx", npz, npz, "--force")
                : CliRunner.Run("hf2jax", hf, Path.Combine(hf, "back.npz"), "--force");
        Assert.True(code == 2, stderr);
        Assert.Contains("the input", stderr);
        foreach (var (f, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(f));
    }

    [Fact]
    public void LogitsAndReportsAreNotOverwrittenWithoutForce()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("l.npy"), "mine");
        File.WriteAllText(dir.File("r.json"), "mine");
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz"), inputs = TestPaths.Golden("pg1-tiny/inputs.npz");
        var (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", inputs, "--mask-key", "mask_ar_prefixlm", "--out",
            dir.File("l.npy"));
        Assert.True(code == 2 && stderr.Contains("--force"), stderr);
        (code, _, stderr) = CliRunner.Run("verify", npz, npz, "--report", dir.File("r.json"));
        Assert.True(code == 2 && stderr.Contains("--force"), stderr);
        // the refusal comes before the work: a missing model is not even opened
        (code, _, stderr) = CliRunner.Run("logits", dir.File("absent.npz"), "--inputs", inputs, "--out", dir.File("l.npy"), "--all-prefix");
        Assert.True(code == 2 && stderr.Contains("--force"), stderr);
        (code, _, stderr) = CliRunner.Run("verify", dir.File("absent.npz"), npz, "--report", dir.File("r.json"));
        Assert.True(code == 2 && stderr.Contains("--force"), stderr);
        Assert.Equal("mine", File.ReadAllText(dir.File("l.npy")));
        Assert.Equal("mine", File.ReadAllText(dir.File("r.json")));
        (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", inputs, "--mask-key", "mask_ar_prefixlm", "--out", dir.File("l.npy"),
            "--force");
        Assert.True(code == 0, stderr);
        Assert.NotEqual("mine", File.ReadAllText(dir.File("l.npy")));
    }

    [Fact]
    public void AMaskKeyTheInputsLackIsRefusedNotTakenAsAllPrefix()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz"), inputs = TestPaths.Golden("pg1-tiny/inputs.npz");
        var (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", inputs, "--out", dir.File("l.npy"));
        Assert.True(code == 2, stderr);
        Assert.Contains("no 'mask_ar' array (the file has image_nhwc, text, mask_ar_prefixlm", stderr);
        (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", inputs, "--all-prefix", "--out", dir.File("l.npy"));
        Assert.True(code == 0, stderr);
    }
}
