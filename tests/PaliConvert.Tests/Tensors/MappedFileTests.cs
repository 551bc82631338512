using PaliConvert.Tensors;

namespace PaliConvert.Tests.Tensors;

public class MappedFileTests
{
    /// <summary>A region of a disposed map would read unmapped memory: it is refused as the bug it is.</summary>
    [Fact]
    public void UseAfterDisposeIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("f"), new byte[64]);
        var f = new MappedFile(dir.File("f"));
        var r = f.Region(0, 64);
        Assert.Equal(64, r.Span(0, 64).Length);
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => r.Span(0, 8).Length);
        r.Release(0, 8); // advice to the kernel only: a read-ahead thread may still give it as the file closes
        f.Dispose(); // twice is harmless
    }

    /// <summary>Read (pread, for streaming weights) gives the map's bytes; a file cut short under it is the input's
    /// problem, named, where a read through the map would have been a SIGBUS.</summary>
    [Fact]
    public void ReadGivesTheMappedBytesAndNamesAFileCutShort()
    {
        using var dir = new TempDir();
        var bytes = new byte[3 * 4096 + 100];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(dir.File("f"), bytes);
        using var f = new MappedFile(dir.File("f"));
        foreach (var (at, n) in new[] { (0, bytes.Length), (4095, 2), (5000, 7000), (bytes.Length - 1, 1) })
        {
            var got = new byte[n];
            f.Region(0, bytes.Length).Read(at, got);
            Assert.True(got.AsSpan().SequenceEqual(f.Span(at, n)), $"{at}+{n}");
            Assert.True(got.AsSpan().SequenceEqual(bytes.AsSpan(at, n)), $"{at}+{n}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Read(bytes.Length - 1, new byte[2]));
        using (var cut = new FileStream(dir.File("f"), FileMode.Open, FileAccess.Write)) cut.SetLength(100);
        var e = Assert.Throws<BadInputException>(() => f.Read(4000, new byte[200]));
        Assert.Equal(dir.File("f"), e.File);
        Assert.Contains("ends at byte", e.Message);
    }
}
