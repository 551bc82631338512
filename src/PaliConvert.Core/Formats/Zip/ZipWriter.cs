using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using PaliConvert.IO;
using static PaliConvert.Formats.Zip.ZipRecords;

namespace PaliConvert.Formats.Zip;

/// <summary>
/// Writes a zip of stored members, streamed: each local header carries a zip64 extra (as numpy's force_zip64 does)
/// and gets its member's CRC once everything else is written; the central directory uses zip64 where needed. Bytes go
/// out in order through a write-behind buffer to a <see cref="DirectFile"/>; the CRCs are written last through a
/// second, ordinary handle (4 bytes each cannot go through O_DIRECT).
/// </summary>
public sealed class ZipWriter : IDisposable
{
    private readonly string _path;
    private readonly FileStream _file;
    private readonly Stream _fs;
    private readonly List<(long at, uint crc)> _crcs = new();
    private readonly bool _direct;
    private readonly List<(string name, long offset, long size, uint crc)> _done = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private (string name, long headerOffset, long dataStart, long expected, Crc32 crc)? _open;
    private bool _finished;

    /// <summary>Use zip64 records even where sizes fit in 32 bits (tests exercise the 6-60 GB layout this way).</summary>
    internal bool ForceZip64 { get; init; }

    public ZipWriter(string path) : this(path, sparse: false) { }

    /// <summary>sparse (tests): an ordinary seekable file, so <see cref="SkipForTests"/> can leave holes.</summary>
    internal ZipWriter(string path, bool sparse)
    {
        _path = path;
        if (sparse)
        {
            _fs = _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            return;
        }
        _file = DirectFile.CreateNew(path, out _direct);
        _fs = new WriteBehindStream(_file, direct: _direct);
    }

    public void BeginMember(string name, long size)
    {
        if (_open != null || _finished) throw new InvalidOperationException("a member is still open or the archive is finished");
        if (!_names.Add(name)) throw new InvalidOperationException($"member '{name}' written twice");
        var nameBytes = NameBytes(name);
        long headerOffset = _fs.Position;
        var h = new byte[Local.Size + nameBytes.Length + 20];
        BinaryPrimitives.WriteUInt32LittleEndian(h, LocalSig);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Local.Version), ZipVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Local.Flags), NameFlags(nameBytes));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Local.Method), (ushort)ZipMethod.Stored);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Local.Date), DosDate1980);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Local.CompressedSize), Saturated32);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Local.UncompressedSize), Saturated32);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Local.NameLength), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Local.ExtraLength), 20);
        nameBytes.CopyTo(h, Local.Size);
        int x = Local.Size + nameBytes.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(x), Zip64ExtraId);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(x + 2), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(x + 4), (ulong)size);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(x + 12), (ulong)size);
        _fs.Write(h);
        _open = (name, headerOffset, _fs.Position, size, new Crc32());
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        var o = _open ?? throw new InvalidOperationException("no member is open");
        if (_fs.Position - o.dataStart + data.Length > o.expected)
            throw new InvalidOperationException($"member '{o.name}' would exceed its declared {o.expected} bytes");
        o.crc.Append(data);
        _fs.Write(data);
    }

    /// <summary>
    /// Tests only: leave a sparse hole of <paramref name="count"/> zero bytes without computing its CRC (small members,
    /// whose CRC readers check, get real zeros).
    /// </summary>
    internal void SkipForTests(long count)
    {
        if (count <= 1 << 20) { Write(new byte[count]); return; }
        var o = _open ?? throw new InvalidOperationException("no member is open");
        if (_fs != _file) throw new InvalidOperationException("holes need a ZipWriter made with sparse: true");
        _fs.Seek(count, SeekOrigin.Current);
        if (_fs.Position - o.dataStart > o.expected) throw new InvalidOperationException("skip past the member's end");
    }

    public void EndMember()
    {
        var o = _open ?? throw new InvalidOperationException("no member is open");
        long written = _fs.Position - o.dataStart;
        if (written != o.expected) throw new InvalidOperationException($"member '{o.name}' got {written} bytes, declared {o.expected}");
        uint crc = o.crc.GetCurrentHashAsUInt32();
        if (_fs == _file && _file.Length < _file.Position) _file.SetLength(_file.Position); // a trailing hole
        _crcs.Add((o.headerOffset + Local.Crc, crc));
        _done.Add((o.name, o.headerOffset, written, crc));
        _open = null;
    }

    /// <summary>The archive comment (UTF-8, at most 65,535 bytes), written in the end record: where an .npz records its source.</summary>
    public string Comment { get; set; } = "";

    /// <summary>Writes the central directory and end records, and flushes the file to disk.</summary>
    public void Finish()
    {
        if (_open != null) throw new InvalidOperationException($"member '{_open.Value.name}' is still open");
        long cdStart = _fs.Position;
        using (var ms = new MemoryStream())
        {
            foreach (var (name, offset, size, crc) in _done) WriteCentral(ms, name, offset, size, crc, ForceZip64);
            ms.Position = 0;
            ms.CopyTo(_fs);
        }
        long cdSize = _fs.Position - cdStart;
        bool zip64 = ForceZip64 || _done.Count >= Saturated16 || cdStart >= Saturated32 || cdSize >= Saturated32;
        if (zip64)
        {
            long e64 = _fs.Position;
            var r = new byte[End64.Size + End64Locator.Size];
            BinaryPrimitives.WriteUInt32LittleEndian(r, End64Sig);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(End64.RecordSize), End64.Size - 12); // the size after this field
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(End64.VersionMadeBy), ZipVersion);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(End64.VersionNeeded), ZipVersion);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(End64.EntriesHere), (ulong)_done.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(End64.Entries), (ulong)_done.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(End64.CdSize), (ulong)cdSize);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(End64.CdOffset), (ulong)cdStart);
            var l = r.AsSpan(End64.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(l, End64LocatorSig);
            BinaryPrimitives.WriteUInt64LittleEndian(l[End64Locator.Offset..], (ulong)e64);
            BinaryPrimitives.WriteUInt32LittleEndian(l[End64Locator.Disks..], 1);
            _fs.Write(r);
        }
        var e = new byte[End.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(e, EndSig);
        ushort n16 = (ushort)Math.Min(_done.Count, Saturated16);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(End.EntriesHere), n16);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(End.Entries), n16);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(End.CdSize), (uint)Math.Min(cdSize, Saturated32));
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(End.CdOffset), (uint)Math.Min(cdStart, Saturated32));
        var comment = System.Text.Encoding.UTF8.GetBytes(Comment);
        if (comment.Length > End.MaxComment) throw new InvalidOperationException("a zip comment holds at most 65,535 bytes");
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(End.CommentLength), (ushort)comment.Length);
        _fs.Write(e);
        _fs.Write(comment);
        _fs.Flush();
        _file.Flush(flushToDisk: true);
        WriteCrcs();
        _finished = true;
    }

    private void WriteCrcs()
    {
        using var patch = _direct ? new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0) : null;
        var handle = (patch ?? _file).SafeFileHandle;
        Span<byte> c = stackalloc byte[4];
        foreach (var (at, crc) in _crcs)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(c, crc);
            RandomAccess.Write(handle, c, at);
        }
        (patch ?? _file).Flush(flushToDisk: true);
    }

    private static void WriteCentral(Stream s, string name, long offset, long size, uint crc, bool force)
    {
        var nameBytes = NameBytes(name);
        bool bigSize = force || size >= Saturated32, bigOffset = force || offset >= Saturated32;
        int extraLen = (bigSize || bigOffset) ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
        var h = new byte[Central.Size + nameBytes.Length + extraLen];
        BinaryPrimitives.WriteUInt32LittleEndian(h, CentralSig);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Central.VersionMadeBy), ZipVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Central.VersionNeeded), ZipVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Central.Flags), NameFlags(nameBytes));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Central.Date), DosDate1980);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Central.Crc), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Central.CompressedSize), bigSize ? Saturated32 : (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Central.UncompressedSize), bigSize ? Saturated32 : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Central.NameLength), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(Central.ExtraLength), (ushort)extraLen);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Central.ExternalAttributes), UnixRwRR);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(Central.LocalOffset), bigOffset ? Saturated32 : (uint)offset);
        nameBytes.CopyTo(h, Central.Size);
        if (extraLen > 0)
        {
            int x = Central.Size + nameBytes.Length;
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(x), Zip64ExtraId);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(x + 2), (ushort)(extraLen - 4));
            x += 4;
            if (bigSize)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(x), (ulong)size);
                BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(x + 8), (ulong)size);
                x += 16;
            }
            if (bigOffset) BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(x), (ulong)offset);
        }
        s.Write(h);
    }

    public void Dispose()
    {
        _fs.Dispose();
        _file.Dispose();
    }
}
