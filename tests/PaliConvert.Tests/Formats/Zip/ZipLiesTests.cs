using System.Buffers.Binary;
using PaliConvert.Formats.Npz;

namespace PaliConvert.Tests.Formats.Zip;

/// <summary>Zip directories that lie: each is refused naming the file, never read as another tensor or past the end.</summary>
public class ZipLiesTests
{
    private static byte[] Npy(params float[] v) =>
        NpzBytes.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({v.Length},), }}", NpzBytes.Floats(v));

    /// <summary>Offsets of the central directory entries (signature PK\x01\x02).</summary>
    private static List<int> Central(byte[] zip) =>
        Enumerable.Range(0, zip.Length - 4).Where(i => BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) == 0x02014b50).ToList();

    private static string Damaged(TempDir dir, Action<byte[]> damage, bool zip64 = false)
    {
        string path = NpzBytes.Stored(dir.File($"z{Guid.NewGuid():N}.npz"), zip64, ("a.npy", Npy(1, 2, 3)), ("b.npy", Npy(4, 5, 6)));
        var bytes = File.ReadAllBytes(path);
        damage(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Refusal(string path) => Assert.Throws<BadInputException>(() =>
    {
        using var ck = NpzCheckpoint.Open(path);
        foreach (var t in ck.Tensors) t.ReadF32(0, new float[t.Elements]);
    }).Message;

    [Fact]
    public void AnEntryPointingAtAnotherMembersHeaderIsRefused()
    {
        using var dir = new TempDir();
        string path = Damaged(dir, z =>
        {
            var c = Central(z);
            // b's directory entry now names a's local header: same size, so only the names can tell
            BinaryPrimitives.WriteUInt32LittleEndian(z.AsSpan(c[1] + 42), BinaryPrimitives.ReadUInt32LittleEndian(z.AsSpan(c[0] + 42)));
        });
        var e = Refusal(path);
        Assert.Contains(path, e);
        Assert.Contains("the directory's member 'b.npy' points at the local header of 'a.npy'", e);
    }

    [Theory]
    [InlineData(0x7FFF_FFFF_FFFF_FFF0UL)]
    [InlineData(0x7FFF_FFFF_FFFF_FFFFUL)]
    [InlineData(0x8000_0000_0000_0000UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL)]
    public void Zip64FieldsNearTwoToThe63AreRefused(ulong value)
    {
        using var dir = new TempDir();
        foreach (int field in new[] { 0, 8, 16 }) // the zip64 extra of a directory entry: sizes, then the offset
        {
            bool changed = false;
            string path = Damaged(dir, z =>
            {
                int c = Central(z)[0];
                int extra = c + 46 + BinaryPrimitives.ReadUInt16LittleEndian(z.AsSpan(c + 28));
                Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(z.AsSpan(extra)));
                if (field + 8 > BinaryPrimitives.ReadUInt16LittleEndian(z.AsSpan(extra + 2))) return;
                BinaryPrimitives.WriteUInt64LittleEndian(z.AsSpan(extra + 4 + field), value);
                changed = true;
            }, zip64: true);
            Assert.True(changed, $"field {field}: the forced zip64 extra holds sizes and offset"); // else this checks nothing
            Assert.Contains(path, Refusal(path));
        }
    }

    [Fact]
    public void AStoredMemberWhoseBytesDoNotMatchItsCrcIsRefused()
    {
        using var dir = new TempDir();
        // a bit of a's data: 2.0f is 0x40000000, the only 0x40 byte after the headers
        string path = Damaged(dir, z => z[Array.IndexOf(z, (byte)0x40, 128)] ^= 1);
        Assert.Contains("do not match the CRC", Refusal(path));
    }

    [Theory]
    [InlineData("(4611686018427387904, 4)")]
    [InlineData("(3037000500, 3037000500)")]
    [InlineData("(-1, 4)")]
    public void ShapesWhoseSizeOverflowsAreRefused(string shape)
    {
        using var dir = new TempDir();
        string path = NpzBytes.Stored(dir.File("s.npz"), false,
            ("x.npy", NpzBytes.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}", NpzBytes.Floats(1, 2, 3, 4))));
        Assert.Contains("member 'x.npy'", Refusal(path));
    }

    [Fact]
    public void DeeplyNestedNpyHeadersAreRefusedNotOverflowed()
    {
        using var dir = new TempDir();
        string nested = new string('(', 50_000) + new string(')', 50_000);
        string path = NpzBytes.Stored(dir.File("n.npz"), false,
            ("x.npy", NpzBytes.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': {nested}, }}", [], version: 2)));
        Assert.Contains("nested deeper than", Refusal(path));
    }
}
