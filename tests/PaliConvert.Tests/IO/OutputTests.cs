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
        File.WriteAllText(dir.File("out/stale.txt"), "stale");
        using (var o = AtomicOutput.ForFolder(dir.File("out"), force: true))
        {
            File.WriteAllText(o.Inside("new.txt"), "new");
            Assert.True(File.Exists(dir.File("out/stale.txt"))); // untouched until commit
            o.Commit();
        }
        Assert.Equal(["new.txt"], Directory.GetFiles(dir.File("out")).Select(Path.GetFileName));
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
        InlineData("7B", 7L)]
    public void SizesParseAsWritten(string text, long bytes) => Assert.Equal(bytes, Sizes.Parse(text));

    [Theory]
    [InlineData("lots"), InlineData("-5MB"), InlineData("0"), InlineData("2TB")]
    public void BadSizesAreRefused(string text) => Assert.Throws<UsageException>(() => Sizes.Parse(text));
}

/// <summary>AbandonAll is process-wide (it serves Ctrl-C), so its test runs alone, not beside tests writing outputs.</summary>
[CollectionDefinition(nameof(ProcessWide), DisableParallelization = true)]
public sealed class ProcessWide;

[Collection(nameof(ProcessWide))]
public class AbandonAllTests
{
    [Fact]
    public void AbandonAllRemovesOpenOutputs()
    {
        using var dir = new TempDir();
        var o = AtomicOutput.ForFolder(dir.File("x"), force: false);
        File.WriteAllText(o.Inside("part"), "p");
        AtomicOutput.AbandonAll();
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
