using PaliConvert.IO;

namespace PaliConvert.Tests.IO;

/// <summary>
/// Files written through WriteBehindStream over a DirectFile hold exactly the bytes written, whatever the length
/// (the last buffer is padded to 4096 for O_DIRECT and the file cut back), with O_DIRECT and without.
/// </summary>
public class DirectFileTests
{
    [Theory]
    [InlineData(0, true), InlineData(1, true), InlineData(4095, true), InlineData(4096, true), InlineData(4097, true),
        InlineData(65536, true), InlineData(3 * 65536 + 5, true), InlineData(3 * 65536 + 5, false), InlineData(4097, false)]
    public void TheFileHoldsExactlyWhatWasWritten(int length, bool tryDirect)
    {
        using var dir = new TempDir();
        var data = new byte[length];
        new Random(length).NextBytes(data);
        string path = dir.File("out.bin");
        bool direct = false;
        using (var file = tryDirect ? DirectFile.CreateNew(path, out direct) : new FileStream(path, FileMode.CreateNew))
        using (var s = new WriteBehindStream(file, bufferSize: 65536, depth: 2, direct: direct))
        {
            var rng = new Random(1);
            for (int at = 0; at < length;)
            {
                int n = Math.Min(length - at, rng.Next(1, 20000));
                s.Write(data.AsSpan(at, n));
                at += n;
            }
            s.Flush();
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void AnExistingFileIsNeverReplaced()
    {
        using var dir = new TempDir();
        string path = dir.File("kept.bin");
        File.WriteAllText(path, "keep");
        Assert.ThrowsAny<IOException>(() => DirectFile.CreateNew(path, out _).Dispose());
        Assert.Equal("keep", File.ReadAllText(path));
    }
}
