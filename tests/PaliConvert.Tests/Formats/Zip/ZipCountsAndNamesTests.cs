using System.IO.Compression;
using System.Text.Json;
using PaliConvert.Formats.Npz;

namespace PaliConvert.Tests.Formats.Zip;

/// <summary>
/// Where a zip reader and numpy could disagree: more entries than the 16-bit count holds, a later duplicate name,
/// non-ASCII names without the UTF-8 flag, a deflated member that claims more than its header declares.
/// </summary>
public class ZipCountsAndNamesTests
{
    private static readonly byte[] Small = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", NpzBytes.Floats(1));

    /// <summary>A zip written by .NET's ZipArchive (an independent writer) with <paramref name="count"/> members.</summary>
    private static string Many(TempDir dir, int count, string? duplicate)
    {
        string path = dir.File($"many-{count}-{duplicate != null}.npz");
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            for (int i = 0; i < count; i++) Add(z, $"t{i}.npy");
            if (duplicate != null) Add(z, duplicate);
        }
        return path;
    }

    private static void Add(ZipArchive z, string name)
    {
        using var s = z.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(Small);
    }

    [Fact]
    public void EntriesPastTheSixteenBitCountAreAllReadAndALaterDuplicateIsRefused()
    {
        using var dir = new TempDir();
        using (var ck = NpzCheckpoint.Open(Many(dir, 65_570, null))) Assert.Equal(65_570, ck.Tensors.Count);
        string dup = Many(dir, 65_570, "t0.npy"); // numpy (and so big_vision) would take the later copy
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(dup));
        Assert.Contains("member 't0.npy' appears twice", e.Message);
    }

    [Fact]
    public void ANonAsciiPrefixIsWrittenWithTheUtf8FlagSoNumpyReadsTheSameNames()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = CliRunner.Run("hf2jax", TestPaths.Golden("pg1-tiny/hf"), dir.File("p.npz"), "--prefix", "größe/参数/");
        Assert.True(code == 0, stderr);
        var numpy = JsonDocument.Parse(TestPaths.Python("npz_oracle.py", dir.File("p.npz"))).RootElement;
        var names = numpy.EnumerateObject().Select(p => p.Name).ToList();
        Assert.All(names, n => Assert.StartsWith("größe/参数/", n));
        using var ck = NpzCheckpoint.Open(dir.File("p.npz"));
        Assert.Equal(names.Order(), ck.Tensors.Select(t => t.Name).Order());
        (code, _, stderr) = CliRunner.Run("hf2jax", TestPaths.Golden("pg1-tiny/hf"), dir.File("q.npz"), "--prefix",
            new string('p', 70_000));
        Assert.True(code == 2, stderr);
        Assert.Contains("prefix must be at most 4096 bytes", stderr);
    }

    [Fact]
    public void ANonAsciiNameWithoutTheFlagIsRefusedAsAmbiguous()
    {
        using var dir = new TempDir();
        string path = NpzBytes.Stored(dir.File("n.npz"), false, ("abc\u00e9.npy", Small));
        var bytes = File.ReadAllBytes(path);
        for (int i = 0; i + 4 <= bytes.Length; i++) // clear bit 11 of every record's flags (local at +6, central at +8)
        {
            uint sig = BitConverter.ToUInt32(bytes, i);
            if (sig == 0x04034b50) bytes[i + 7] &= 0xF7;
            if (sig == 0x02014b50) bytes[i + 9] &= 0xF7;
        }
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(path));
        Assert.Contains("without the zip's UTF-8 flag", e.Message);
    }

    [Fact]
    public void ADeflatedMemberClaimingMoreThanItsHeaderDeclaresIsRefusedBeforeInflating()
    {
        using var dir = new TempDir();
        var big = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[16 + 4_000_000]);
        string path = NpzBytes.Deflated(dir.File("d.npz"), ("w.npy", big));
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(path));
        Assert.Contains("its header declares f32 (4) (144 bytes with the header) but the zip says it inflates to 4,000,144", e.Message);
        Assert.Contains("refused before inflating", e.Message);
    }
}
