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
}
