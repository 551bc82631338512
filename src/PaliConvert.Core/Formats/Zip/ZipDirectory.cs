using System.Buffers.Binary;
using System.Text;
using PaliConvert.Tensors;
using static PaliConvert.Formats.Zip.ZipRecords;

namespace PaliConvert.Formats.Zip;

/// <summary>
/// Reads a zip's central directory (zip64 included) and each member's local header, to find where each member's
/// data starts in the file. .NET's ZipArchive gives streams, not offsets, and offsets are what let stored members
/// be memory-mapped in place.
/// </summary>
public static class ZipDirectory
{

    public static List<ZipEntry> Read(MappedFile f)
    {
        var (count, cdOffset, cdSize) = FindCentralDirectory(f);
        if (cdOffset > f.Length || cdSize > f.Length - cdOffset)
            throw Bad(f, $"central directory (bytes {cdOffset}..{cdOffset + cdSize}) lies past the end of the file ({f.Length} bytes): " +
                $"truncated");
        // Entries are read as far as the directory's size reaches, as Python's zipfile (and so numpy) reads them: the end
        // record's 16-bit count wraps past 65,535 entries, and trusting it would hide every later member.
        var entries = new List<ZipEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        long pos = cdOffset, cdEnd = cdOffset + cdSize;
        for (long i = 0; pos < cdEnd; i++)
        {
            var h = Need(f, pos, Central.Size, "central directory entry");
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != CentralSig)
                throw Bad(f, $"central directory entry {i} at byte {pos} has a bad signature: corrupt");
            ushort flags = U16(h, Central.Flags), method = U16(h, Central.Method);
            uint crc = U32(h, Central.Crc);
            long csize = U32(h, Central.CompressedSize), usize = U32(h, Central.UncompressedSize);
            int nameLen = U16(h, Central.NameLength), extraLen = U16(h, Central.ExtraLength), commentLen = U16(h, Central.CommentLength);
            long localOffset = U32(h, Central.LocalOffset);
            var rawName = Need(f, pos + Central.Size, nameLen, "member name");
            if (!System.Text.Unicode.Utf8.IsValid(rawName)) throw Bad(f, "a member name is not valid UTF-8");
            if ((flags & Utf8Flag) == 0 && !System.Text.Ascii.IsValid(rawName))
                throw Bad(f, $"a member name holds non-ASCII bytes without the zip's UTF-8 flag, so readers decode it differently " +
                    $"(numpy as cp437): '{Encoding.Latin1.GetString(rawName)}'");
            var name = Encoding.UTF8.GetString(rawName);
            var extra = Need(f, pos + Central.Size + nameLen, extraLen, "extra field");
            ReadZip64Extra(f, name, extra, ref usize, ref csize, ref localOffset);
            pos += Central.Size + nameLen + extraLen + commentLen;

            if ((flags & EncryptedFlag) != 0) throw Bad(f, $"member '{name}' is encrypted");
            if (method != (ushort)ZipMethod.Stored && method != (ushort)ZipMethod.Deflated)
                throw Bad(f, $"member '{name}' uses compression method {method}; only stored (0) and deflated (8) are supported");
            if (method == 0 && csize != usize)
                throw Bad(f, $"member '{name}' is stored but its sizes differ ({csize} vs {usize}): corrupt");
            long dataOffset = LocalDataOffset(f, name, method, csize, usize, localOffset);
            if (csize > f.Length - dataOffset)
                throw Bad(f, $"member '{name}' needs bytes {dataOffset}..{dataOffset + csize} but the file has {f.Length}: truncated");
            if (!names.Add(name)) throw Bad(f, $"member '{name}' appears twice in the directory; which one a reader takes differs");
            entries.Add(new ZipEntry(name, (ZipMethod)method, csize, usize, crc, localOffset, dataOffset));
        }
        if (pos != cdEnd || entries.Count % 0x10000 != count % 0x10000)
            throw Bad(f, $"the central directory holds {entries.Count} entries in {pos - cdOffset} bytes, but the end record says " +
                $"{count} in {cdSize}: corrupt");
        return entries;
    }

    /// <summary>The archive comment of the end record (empty when there is none).</summary>
    public static string Comment(MappedFile f)
    {
        long p = EndRecord(f);
        return System.Text.Encoding.UTF8.GetString(f.Span(p + End.Size, (int)(f.Length - p - End.Size)));
    }

    /// <summary>Where the end record starts: 22 bytes and a comment of at most 65535, found backwards by its signature.</summary>
    private static long EndRecord(MappedFile f)
    {
        long min = Math.Max(0, f.Length - End.Size - End.MaxComment);
        for (long p = f.Length - End.Size; p >= min; p--)
        {
            var s = f.Span(p, End.Size);
            if (BinaryPrimitives.ReadUInt32LittleEndian(s) != EndSig) continue;
            if (p + End.Size + U16(s, End.CommentLength) != f.Length) continue; // a signature inside data, not the real record
            return p;
        }
        throw Bad(f, "not a zip archive, or truncated: no end of central directory record");
    }

    private static (long count, long cdOffset, long cdSize) FindCentralDirectory(MappedFile f)
    {
        {
            long p = EndRecord(f);
            var s = f.Span(p, End.Size);
            long count = U16(s, End.Entries), size = U32(s, End.CdSize), offset = U32(s, End.CdOffset);
            const int L = End64Locator.Size;
            if (p >= L && BinaryPrimitives.ReadUInt32LittleEndian(f.Span(p - L, 4)) == End64LocatorSig)
            {
                long e64 = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.Span(p - L + End64Locator.Offset, 8));
                var r = Need(f, e64, End64.Size, "zip64 end of central directory");
                if (BinaryPrimitives.ReadUInt32LittleEndian(r) != End64Sig)
                    throw Bad(f, "zip64 end of central directory record has a bad signature: corrupt");
                count = Checked(f, r, End64.Entries); size = Checked(f, r, End64.CdSize); offset = Checked(f, r, End64.CdOffset);
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
            if (id == Zip64ExtraId)
            {
                int q = p + 4, end = p + 4 + len;
                if (usize == Saturated32) usize = Zip64Field(f, name, extra, ref q, end);
                if (csize == Saturated32) csize = Zip64Field(f, name, extra, ref q, end);
                if (offset == Saturated32) offset = Zip64Field(f, name, extra, ref q, end);
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
        var h = Need(f, localOffset, Local.Size, $"local header of '{name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != LocalSig)
            throw Bad(f, $"local header of member '{name}' at byte {localOffset} has a bad signature: corrupt");
        int nameLen = U16(h, Local.NameLength), extraLen = U16(h, Local.ExtraLength);
        string local = Encoding.UTF8.GetString(Need(f, localOffset + Local.Size, nameLen, $"local header name of '{name}'"));
        if (local != name) throw Bad(f, $"the directory's member '{name}' points at the local header of '{local}': corrupt");
        if (U16(h, Local.Method) != method) throw Bad(f, $"member '{name}': local header says method {U16(h, Local.Method)}, the " +
            $"directory {method}: corrupt");
        bool descriptor = (U16(h, Local.Flags) & DataDescriptorFlag) != 0; // sizes follow the data instead
        uint lc = U32(h, Local.CompressedSize), lu = U32(h, Local.UncompressedSize);
        if (!descriptor && ((lc != Saturated32 && lc != csize) || (lu != Saturated32 && lu != usize)))
            throw Bad(f, $"member '{name}': local header sizes ({lc}, {lu}) disagree with the directory's ({csize}, {usize}): corrupt");
        long end = localOffset + Local.Size + nameLen + extraLen;
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
