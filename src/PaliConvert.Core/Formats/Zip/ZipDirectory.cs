using System.Buffers.Binary;
using System.Text;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Zip;

/// <summary>
/// Reads a zip's central directory (zip64 included) and each member's local header, to find where each member's
/// data starts in the file. .NET's ZipArchive gives streams, not offsets, and offsets are what let stored members
/// be memory-mapped in place.
/// </summary>
public static class ZipDirectory
{
    private const uint EocdSig = 0x06054b50, Eocd64LocatorSig = 0x07064b50, Eocd64Sig = 0x06064b50;
    private const uint CentralSig = 0x02014b50, LocalSig = 0x04034b50;

    public static List<ZipEntry> Read(MappedFile f)
    {
        var (count, cdOffset, cdSize) = FindCentralDirectory(f);
        if (cdOffset > f.Length || cdSize > f.Length - cdOffset)
            throw Bad(f, $"central directory (bytes {cdOffset}..{cdOffset + cdSize}) lies past the end of the file ({f.Length} bytes): " +
                $"truncated");
        var entries = new List<ZipEntry>();
        long pos = cdOffset;
        for (long i = 0; i < count; i++)
        {
            var h = Need(f, pos, 46, "central directory entry");
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != CentralSig)
                throw Bad(f, $"central directory entry {i} at byte {pos} has a bad signature: corrupt");
            ushort flags = U16(h, 8), method = U16(h, 10);
            uint crc = U32(h, 16);
            long csize = U32(h, 20), usize = U32(h, 24);
            int nameLen = U16(h, 28), extraLen = U16(h, 30), commentLen = U16(h, 32);
            long localOffset = U32(h, 42);
            var name = Encoding.UTF8.GetString(Need(f, pos + 46, nameLen, "member name"));
            var extra = Need(f, pos + 46 + nameLen, extraLen, "extra field");
            ReadZip64Extra(f, name, extra, ref usize, ref csize, ref localOffset);
            pos += 46 + nameLen + extraLen + commentLen;

            if ((flags & 1) != 0) throw Bad(f, $"member '{name}' is encrypted");
            if (method != (ushort)ZipMethod.Stored && method != (ushort)ZipMethod.Deflated)
                throw Bad(f, $"member '{name}' uses compression method {method}; only stored (0) and deflated (8) are supported");
            if (method == 0 && csize != usize)
                throw Bad(f, $"member '{name}' is stored but its sizes differ ({csize} vs {usize}): corrupt");
            long dataOffset = LocalDataOffset(f, name, method, csize, usize, localOffset);
            if (csize > f.Length - dataOffset)
                throw Bad(f, $"member '{name}' needs bytes {dataOffset}..{dataOffset + csize} but the file has {f.Length}: truncated");
            entries.Add(new ZipEntry(name, (ZipMethod)method, csize, usize, crc, localOffset, dataOffset));
        }
        return entries;
    }

    /// <summary>The archive comment of the end record (empty when there is none).</summary>
    public static string Comment(MappedFile f)
    {
        long p = EndRecord(f);
        return System.Text.Encoding.UTF8.GetString(f.Span(p + 22, (int)(f.Length - p - 22)));
    }

    /// <summary>Where the end record starts: 22 bytes and a comment of at most 65535, found backwards by its signature.</summary>
    private static long EndRecord(MappedFile f)
    {
        long min = Math.Max(0, f.Length - 22 - 65535);
        for (long p = f.Length - 22; p >= min; p--)
        {
            var s = f.Span(p, 22);
            if (BinaryPrimitives.ReadUInt32LittleEndian(s) != EocdSig) continue;
            if (p + 22 + U16(s, 20) != f.Length) continue; // a signature inside data, not the real record
            return p;
        }
        throw Bad(f, "not a zip archive, or truncated: no end of central directory record");
    }

    private static (long count, long cdOffset, long cdSize) FindCentralDirectory(MappedFile f)
    {
        {
            long p = EndRecord(f);
            var s = f.Span(p, 22);
            long count = U16(s, 10), size = U32(s, 12), offset = U32(s, 16);
            if (p >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(f.Span(p - 20, 4)) == Eocd64LocatorSig)
            {
                long e64 = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.Span(p - 20 + 8, 8));
                var r = Need(f, e64, 56, "zip64 end of central directory");
                if (BinaryPrimitives.ReadUInt32LittleEndian(r) != Eocd64Sig)
                    throw Bad(f, "zip64 end of central directory record has a bad signature: corrupt");
                count = Checked(f, r, 32); size = Checked(f, r, 40); offset = Checked(f, r, 48);
            }
            return (count, offset, size);
        }
    }

    private static void ReadZip64Extra(MappedFile f, string name, ReadOnlySpan<byte> extra, ref long usize, ref long csize, ref long offset)
    {
        int p = 0;
        while (p + 4 <= extra.Length)
        {
            ushort id = U16(extra, p), len = U16(extra, p + 2);
            if (p + 4 + len > extra.Length) throw Bad(f, $"member '{name}' has a malformed extra field");
            if (id == 1)
            {
                int q = p + 4, end = p + 4 + len;
                if (usize == 0xFFFFFFFF) usize = Zip64Field(f, name, extra, ref q, end);
                if (csize == 0xFFFFFFFF) csize = Zip64Field(f, name, extra, ref q, end);
                if (offset == 0xFFFFFFFF) offset = Zip64Field(f, name, extra, ref q, end);
            }
            p += 4 + len;
        }
    }

    private static long Zip64Field(MappedFile f, string name, ReadOnlySpan<byte> extra, ref int at, int end)
    {
        if (at + 8 > end) throw Bad(f, $"member '{name}' has a zip64 extra field too short for its sizes");
        long v = Checked(f, extra, at);
        at += 8;
        return v;
    }

    /// <summary>
    /// Where a member's data starts, once its local header agrees with the directory: the same name (so an entry cannot
    /// point at another member's data), method and, where the header states them, sizes.
    /// </summary>
    private static long LocalDataOffset(MappedFile f, string name, ushort method, long csize, long usize, long localOffset)
    {
        var h = Need(f, localOffset, 30, $"local header of '{name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != LocalSig)
            throw Bad(f, $"local header of member '{name}' at byte {localOffset} has a bad signature: corrupt");
        int nameLen = U16(h, 26), extraLen = U16(h, 28);
        string local = Encoding.UTF8.GetString(Need(f, localOffset + 30, nameLen, $"local header name of '{name}'"));
        if (local != name) throw Bad(f, $"the directory's member '{name}' points at the local header of '{local}': corrupt");
        if (U16(h, 8) != method) throw Bad(f, $"member '{name}': local header says method {U16(h, 8)}, the directory {method}: corrupt");
        bool descriptor = (U16(h, 6) & 8) != 0; // sizes follow the data instead
        uint lc = U32(h, 18), lu = U32(h, 22);
        if (!descriptor && ((lc != 0xFFFFFFFF && lc != csize) || (lu != 0xFFFFFFFF && lu != usize)))
            throw Bad(f, $"member '{name}': local header sizes ({lc}, {lu}) disagree with the directory's ({csize}, {usize}): corrupt");
        long end = localOffset + 30 + nameLen + extraLen;
        if (end > f.Length) throw Bad(f, $"local header of '{name}' runs past the end of the file: truncated");
        return end;
    }

    private static ReadOnlySpan<byte> Need(MappedFile f, long offset, int length, string what)
    {
        if (offset < 0 || offset > f.Length - length) throw Bad(f, $"{what} at byte {offset} runs past the end of the file: truncated");
        return f.Span(offset, length);
    }

    private static long Checked(MappedFile f, ReadOnlySpan<byte> s, int at)
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);
        if (v > long.MaxValue) throw Bad(f, "a zip64 size or offset is out of range: corrupt");
        return (long)v;
    }

    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
    private static BadInputException Bad(MappedFile f, string msg) => new(f.Path, $"{f.Path}: {msg}");
}
