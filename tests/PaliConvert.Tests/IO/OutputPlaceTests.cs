using PaliConvert.IO;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.IO;

/// <summary>
/// An output never lands on an input by another spelling of its path, and never replaces what paliconvert could not
/// have written: each case is built here and the input is compared byte for byte afterwards.
/// </summary>
public class OutputPlaceTests
{
    /// <summary>A copy of the golden HF folder, and every file's bytes, to prove nothing in it changed.</summary>
    private static (string folder, Dictionary<string, byte[]> before) Input(TempDir dir)
    {
        string hf = dir.File("in");
        Directory.CreateDirectory(hf);
        foreach (var f in Directory.GetFiles(TestPaths.Golden("pg1-tiny/hf"))) File.Copy(f, Path.Combine(hf, Path.GetFileName(f)));
        return (hf, Directory.GetFiles(hf).ToDictionary(f => f, File.ReadAllBytes));
    }

    private static void Unchanged(string folder, Dictionary<string, byte[]> before)
    {
        Assert.Equal(before.Keys.Order(), Directory.GetFileSystemEntries(folder).Order());
        foreach (var (f, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(f));
    }

    [Theory]
    [InlineData("symlinked folder")]
    [InlineData("proc root")]
    [InlineData("hard link")]
    public void AnOutputReachingAnInputByAnotherSpellingIsRefused(string spelling)
    {
        using var dir = new TempDir();
        var (hf, before) = Input(dir);
        string config = Path.Combine(hf, "config.json");
        string target;
        switch (spelling)
        {
            case "symlinked folder":
                Directory.CreateSymbolicLink(dir.File("lnk"), hf);
                target = dir.File("lnk/config.json");
                break;
            case "proc root": // a magic link the kernel follows (no "..", which .NET resolves by name before the kernel sees it)
                target = "/proc/self/root" + config;
                break;
            default:
                target = dir.File("elsewhere.npy");
                Assert.Equal(0, Native.Link(config, target));
                before[config] = File.ReadAllBytes(config);
                break;
        }
        var e = Assert.Throws<OutputException>(() => AtomicOutput.ForFile(target, force: true, hf));
        Assert.Contains("the input", e.Message);
        Assert.Equal(Path.GetFullPath(target), e.Output);
        Unchanged(hf, before);
    }

    [Fact]
    public void AnOutputInsideAnInputThroughALinkIsRefusedByTheCli()
    {
        using var dir = new TempDir();
        var (hf, before) = Input(dir);
        Directory.CreateSymbolicLink(dir.File("lnk"), hf);
        var (code, _, stderr) = CliRunner.Run("hf2jax", hf, dir.File("lnk/back.npz"));
        Assert.True(code == 2, stderr);
        Assert.Contains("lies inside the input", stderr);
        Unchanged(hf, before);
    }

    [Fact]
    public void AFileOfACacheSnapshotIsNotReplacedThroughItsBlob()
    {
        using var dir = new TempDir();
        var (hf, _) = Input(dir);
        Directory.CreateDirectory(dir.File("snapshot"));
        File.CreateSymbolicLink(dir.File("snapshot/model.safetensors"), Path.Combine(hf, "model.safetensors"));
        File.CreateSymbolicLink(dir.File("snapshot/config.json"), Path.Combine(hf, "config.json"));
        string blob = Path.Combine(hf, "model.safetensors");
        var e = Assert.Throws<OutputException>(() => AtomicOutput.ForFile(blob, true, dir.File("snapshot")));
        Assert.Contains("model.safetensors of the input", e.Message);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("symlink")]
    public void WhatIsNotARegularFileIsNeverReplaced(string kind)
    {
        using var dir = new TempDir();
        string target = dir.File("out.npy");
        File.WriteAllText(dir.File("theirs"), "theirs");
        if (kind == "fifo") System.Diagnostics.Process.Start("mkfifo", target)!.WaitForExit();
        else File.CreateSymbolicLink(target, dir.File("theirs"));
        var e = Assert.Throws<OutputException>(() => AtomicOutput.ForFile(target, force: true));
        Assert.Contains(kind == "fifo" ? "is not a regular file" : "is a symbolic link", e.Message);
        var id = Native.Identify(target, followLinks: false)!.Value;
        Assert.True(kind == "fifo" ? !id.IsRegular && !id.IsSymlink : id.IsSymlink);
        Assert.Equal("theirs", File.ReadAllText(dir.File("theirs")));
    }

    [Fact]
    public void APlantedLockLinkCreatesNothingElsewhere()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir.File(".out.npz.lock"), dir.File("elsewhere"));
        var e = Assert.Throws<OutputException>(() => AtomicOutput.ForFile(dir.File("out.npz"), force: false));
        Assert.Contains("is not a regular file PaliConvert can create", e.Message);
        Assert.False(File.Exists(dir.File("elsewhere")));
    }

    [Fact]
    public void APlantedOldOutputIsNeverMadeTheOutput()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("secret"), "not an output");
        File.CreateSymbolicLink(dir.File(".hf.old-999999-deadbeef"), dir.File("secret"));
        var scope = new RunScope();
        using (var o = AtomicOutput.ForFolder(scope, dir.File("hf"), force: false)) { }
        Assert.False(Directory.Exists(dir.File("hf")) || File.Exists(dir.File("hf")));
        Assert.Contains(scope.Warnings, w => w.Kind == WarningKind.OldOutputLeft);
        Assert.Equal("not an output", File.ReadAllText(dir.File("secret")));
    }

    [Fact]
    public void ALongOutputNameLeavesRoomForItsHiddenNames()
    {
        using var dir = new TempDir();
        string name = new string('a', 236) + ".npz";
        var (code, _, stderr) = CliRunner.Run("hf2jax", TestPaths.Golden("pg1-tiny/hf"), dir.File(name));
        Assert.True(code == 0, stderr);
        Assert.Equal([dir.File(name)], Directory.GetFileSystemEntries(dir.Path));
        Assert.True(Leftovers.HiddenName(dir.File(name)).Length <= 200);
        Assert.NotEqual(Leftovers.HiddenName(dir.File(name)), Leftovers.HiddenName(dir.File(new string('a', 236) + ".npy")));
    }
}
