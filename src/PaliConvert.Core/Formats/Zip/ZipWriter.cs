using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using PaliConvert.IO;

namespace PaliConvert.Formats.Zip;

/// <summary>
/// Writes a zip of stored members, streamed: each local header carries a zip64 extra (as numpy's force_zip64 does)
/// and gets its member's CRC once everything else is written; the central directory uses zip64 where needed. Bytes go
/// out in order through a write-behind buffer to a <see cref="DirectFile"/>; the CRCs are written last through a
/// second, ordinary handle (4 bytes each cannot go through O_DIRECT).
/// </summary>
public sealed class ZipWriter : IDisposable
{
    private const ushort Version = 45; // zip64
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
        var nameBytes = Encoding.UTF8.GetBytes(name);
        long headerOffset = _fs.Position;
        var h = new byte[30 + nameBytes.Length + 20];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), 0); // stored
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(12), 0x21); // 1980-01-01: reproducible output
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(18), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(22), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(26), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), 20);
        nameBytes.CopyTo(h, 30);
        int x = 30 + nameBytes.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(x), 1);
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
        _crcs.Add((o.headerOffset + 14, crc));
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
        bool zip64 = ForceZip64 || _done.Count >= 0xFFFF || cdStart >= 0xFFFFFFFF || cdSize >= 0xFFFFFFFF;
        if (zip64)
        {
            long e64 = _fs.Position;
            var r = new byte[56 + 20];
            BinaryPrimitives.WriteUInt32LittleEndian(r, 0x06064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(4), 44);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(12), Version);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(14), Version);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(24), (ulong)_done.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(32), (ulong)_done.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(40), (ulong)cdSize);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(48), (ulong)cdStart);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(56), 0x07064b50);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(64), (ulong)e64);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(72), 1);
            _fs.Write(r);
        }
        var e = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(e, 0x06054b50);
        ushort n16 = (ushort)Math.Min(_done.Count, 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(8), n16);
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(10), n16);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(12), (uint)Math.Min(cdSize, 0xFFFFFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(16), (uint)Math.Min(cdStart, 0xFFFFFFFF));
        var comment = System.Text.Encoding.UTF8.GetBytes(Comment);
        if (comment.Length > 0xFFFF) throw new InvalidOperationException("a zip comment holds at most 65,535 bytes");
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(20), (ushort)comment.Length);
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
        var nameBytes = Encoding.UTF8.GetBytes(name);
        bool bigSize = force || size >= 0xFFFFFFFF, bigOffset = force || offset >= 0xFFFFFFFF;
        int extraLen = (bigSize || bigOffset) ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
        var h = new byte[46 + nameBytes.Length + extraLen];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x02014b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(14), 0x21);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), bigSize ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), bigSize ? 0xFFFFFFFF : (uint)size);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(30), (ushort)extraLen);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(38), 0x01A40000); // -rw-r--r--
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(42), bigOffset ? 0xFFFFFFFF : (uint)offset);
        nameBytes.CopyTo(h, 46);
        if (extraLen > 0)
        {
            int x = 46 + nameBytes.Length;
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(x), 1);
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
