using PaliConvert.Cli;
using PaliConvert.IO;

namespace PaliConvert.Tests.IO;

public class OutputTests
{
    [Fact]
    public void FailedOutputLeavesNothingAndKeepsTheOldTarget()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("model.npz"), "old");
        Action failing = () =>
        {
            using var o = AtomicOutput.ForFile(dir.File("model.npz"), force: true);
            File.WriteAllText(o.TempPath, "half");
            throw new InvalidOperationException("failed midway");
        };
        Assert.Throws<InvalidOperationException>(failing);
        Assert.Equal("old", File.ReadAllText(dir.File("model.npz")));
        Assert.Equal([dir.File("model.npz")], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void CommittedFolderReplacesTheOldOneWhole()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/model-00001-of-00002.safetensors"), "stale");
        using (var o = AtomicOutput.ForFolder(dir.File("out"), force: true))
        {
            File.WriteAllText(o.Inside("model.safetensors"), "new");
            Assert.True(File.Exists(dir.File("out/model-00001-of-00002.safetensors"))); // untouched until commit
            o.Commit();
        }
        Assert.Equal(["model.safetensors"], Directory.GetFiles(dir.File("out")).Select(Path.GetFileName));
        Assert.Equal([dir.File("out")], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void WriteBehindDeliversEveryByteInOrderAndReportsFailures()
    {
        var sink = new MemoryStream();
        var data = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7)).ToArray();
        using (var w = new WriteBehindStream(sink, bufferSize: 1 << 16, depth: 2))
        {
            for (int i = 0; i < data.Length; i += 12345) w.Write(data.AsSpan(i, Math.Min(12345, data.Length - i)));
            w.Flush();
            Assert.Equal(data.Length, w.Position);
        }
        Assert.Equal(data, sink.ToArray());

        var full = new MemoryStream(new byte[10], writable: true); // a fixed-size stream that cannot grow
        using var failing = new WriteBehindStream(full, bufferSize: 16, depth: 1);
        var e = Assert.Throws<IOException>(() => { failing.Write(new byte[64]); failing.Flush(); }); // at the next write or the flush
        Assert.Contains("writing failed", e.Message);
    }

    [Theory]
    [InlineData("2GB", 2_000_000_000L), InlineData("500MB", 500_000_000L), InlineData("100kb", 100_000L), InlineData("123456", 123456L),
        InlineData("7B", 7L), InlineData("2GiB", 2L << 30), InlineData("1TB", 1_000_000_000_000L), InlineData("3 MiB", 3L << 20)]
    public void SizesParseAsWritten(string text, long bytes) => Assert.Equal(bytes, Sizes.Parse(text));

    [Theory]
    [InlineData("lots"), InlineData("-5MB"), InlineData("0"), InlineData("2XB"), InlineData("9999999TiB")]
    public void BadSizesAreRefused(string text) => Assert.Throws<UsageException>(() => Sizes.Parse(text));
}

/// <summary>A run's scope owns its outputs: abandoning it removes them, and leaves another run's alone.</summary>
public class RunScopeTests
{
    [Fact]
    public void AbandonRemovesThisRunsOpenOutputsOnly()
    {
        using var dir = new TempDir();
        using var mine = new RunScope();
        using var other = new RunScope();
        var o = AtomicOutput.ForFolder(mine, dir.File("x"), force: false);
        File.WriteAllText(o.Inside("part"), "p");
        using var theirs = AtomicOutput.ForFile(other, dir.File("y"), force: false);
        File.WriteAllText(theirs.TempPath, "q");
        mine.Abandon();
        Assert.Equal([theirs.TempPath], Directory.GetFileSystemEntries(dir.Path).Where(p => !p.EndsWith(".lock")));
    }

    [Fact]
    public void WarningsAreTheRunsOwnDataOncePerMessage()
    {
        using var dir = new TempDir();
        using var scope = new RunScope();
        var seen = new List<RunWarning>();
        scope.Warned += seen.Add;
        File.WriteAllText(Path.Combine(dir.Path, Leftovers.NewPath(dir.File("out"), Leftovers.Partial)), "left by a killed run");
        using (var o = AtomicOutput.ForFile(scope, dir.File("out"), force: false)) { }
        using var ck = PaliConvert.Formats.Npz.NpzCheckpoint.Open(TestPaths.Golden("pg2-tiny/params.f32.npz"));
        PaliConvert.Models.ArchDetector.Detect(ck, scope: scope);
        PaliConvert.Models.ArchDetector.Detect(ck, scope: scope); // the same model twice: warned once
        Assert.Equal([WarningKind.RemovedPartials, WarningKind.AssumedFacts], scope.Warnings.Select(w => w.Kind));
        Assert.Equal(scope.Warnings, seen);
        Assert.Empty(new RunScope().Warnings); // nothing leaks into another run
    }
}
