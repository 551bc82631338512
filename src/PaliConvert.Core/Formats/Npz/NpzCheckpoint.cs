using System.IO.Compression;
using System.IO.Hashing;
using PaliConvert.Formats.Zip;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Npz;

/// <summary>
/// A big_vision .npz: stored members are viewed in place in the memory map; deflated members are inflated once
/// into a temporary spill file that is mapped the same way, so memory stays bounded either way.
/// </summary>
public sealed class NpzCheckpoint : Checkpoint
{
    public const string ParamsPrefix = "params/";

    public override string Format => "npz";

    /// <summary>True when the members were named 'params/...' (released checkpoints); tensor names drop it.</summary>
    public bool HadParamsPrefix { get; private set; }

    /// <summary>The zip archive's comment (where PaliConvert records the source of an .npz it wrote).</summary>
    public string Comment { get; private set; } = "";

    private NpzCheckpoint(string path) : base(path) { }

    public static NpzCheckpoint Open(string path) => Opened(new NpzCheckpoint(path), c => c.Load());

    /// <summary>Stored members up to this size have their CRC checked on open; larger ones stay unread until used.</summary>
    private const long CrcCheckedBytes = 1 << 20;

    private void Load()
    {
        var file = Own(new MappedFile(Path));
        var entries = ZipDirectory.Read(file);
        Comment = ZipDirectory.Comment(file);
        var deflated = entries.Where(e => e.Method == ZipMethod.Deflated).ToList();
        var spill = deflated.Count > 0 ? Inflate(file, deflated) : null;

        int prefixed = entries.Count(e => e.Name.StartsWith(ParamsPrefix, StringComparison.Ordinal));
        HadParamsPrefix = prefixed > 0 && prefixed == entries.Count;
        foreach (var e in entries)
        {
            string where = $"{Path}: member '{e.Name}'";
            if (!e.Name.EndsWith(".npy", StringComparison.Ordinal)) throw new BadInputException(Path, $"{where} is not a .npy array",
                e.Name);
            var member = spill != null && spill.TryGetValue(e.Name, out var r) ? r : file.Region(e.DataOffset, e.CompressedSize);
            if (e.Method == ZipMethod.Stored && e.CompressedSize <= CrcCheckedBytes
                && Crc32.HashToUInt32(member.Span(0, (int)member.Length)) != e.Crc32)
                throw new BadInputException(where, $"{where}: its bytes do not match the CRC the zip records: corrupt");
            var header = NpyHeader.Parse(member.Span(0, (int)Math.Min(member.Length, NpyHeader.MaxHeader + 12)), where);
            long expected = Shape.Bytes(header.Shape, header.DType);
            long actual = member.Length - header.DataOffset;
            if (expected != actual)
                throw new BadInputException(where, $"{where}: header says {header.DType.Label()} {Shape.Format(header.Shape)} = " +
                    $"{expected} " +
                    $"bytes but the member holds {actual}");
            string name = e.Name[..^4];
            if (HadParamsPrefix) name = name[ParamsPrefix.Length..];
            Add(new TensorInfo(name, header.DType, header.Shape, member.Slice(header.DataOffset, actual)), Path);
        }
    }

    private void CheckHeaderFirst(MappedFile file, ZipEntry e)
    {
        string where = $"{Path}: member '{e.Name}'";
        var head = new byte[NpyHeader.MaxHeader + 12];
        int got = 0;
        try
        {
            using var inflater = new DeflateStream(file.Region(e.DataOffset, e.CompressedSize).OpenStream(), CompressionMode.Decompress);
            for (int n; got < head.Length && (n = inflater.Read(head, got, head.Length - got)) > 0;) got += n;
        }
        catch (InvalidDataException ex) { throw new BadInputException(Path, $"{where} does not inflate: {ex.Message}", e.Name); }
        var header = NpyHeader.Parse(head.AsSpan(0, got), where);
        long declared = header.DataOffset + Shape.Bytes(header.Shape, header.DType);
        if (declared != e.UncompressedSize)
            throw new BadInputException(Path, $"{where}: its header declares {header.DType.Label()} {Shape.Format(header.Shape)} " +
                $"({declared:N0} bytes with the header) but the zip says it inflates to {e.UncompressedSize:N0}; refused before " +
                "inflating", e.Name);
    }

    /// <summary>The spill file, or an error that names the temporary folder and what to do.</summary>
    private FileStream Spill(string tmp, string dir)
    {
        try { return new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw TempFailed(dir, ex); }
    }

    private OutputException TempFailed(string dir, Exception ex) => new(dir, $"{Path} holds deflated members, which are inflated " +
        $"into the temporary folder {dir}, but it cannot be written ({ex.Message}); set TMPDIR to a writable folder with room, or " +
        "store the .npz uncompressed", ex);

    /// <summary>
    /// Inflates every deflated member, checking its CRC, into one unlinked temporary file; each member's npy header is
    /// inflated and checked first, and the member may inflate to exactly what its shape declares, no more.
    /// </summary>
    private Dictionary<string, Region> Inflate(MappedFile file, List<ZipEntry> members)
    {
        foreach (var e in members) CheckHeaderFirst(file, e);
        string dir = System.IO.Path.GetTempPath();
        string tmp = System.IO.Path.Combine(dir, $"paliconvert-inflate-{Guid.NewGuid():N}.bin");
        var offsets = new List<(string name, long offset, long length)>();
        try
        {
            using (var outStream = Spill(tmp, dir))
            {
                var buf = new byte[1 << 20];
                foreach (var e in members)
                {
                    long start = outStream.Position;
                    var crc = new Crc32();
                    using var inflater = new DeflateStream(file.Region(e.DataOffset, e.CompressedSize).OpenStream(),
                        CompressionMode.Decompress);
                    long total = 0;
                    int n;
                    try
                    {
                        while ((n = inflater.Read(buf)) > 0)
                        {
                            total += n;
                            if (total > e.UncompressedSize) break;
                            crc.Append(buf.AsSpan(0, n));
                            outStream.Write(buf, 0, n);
                        }
                    }
                    catch (InvalidDataException ex)
                    {
                        throw new BadInputException(Path, $"{Path}: member '{e.Name}' does not inflate: {ex.Message}");
                    }
                    if (total != e.UncompressedSize || crc.GetCurrentHashAsUInt32() != e.Crc32)
                        throw new BadInputException(Path, $"{Path}: member '{e.Name}' is corrupt (inflated {total} bytes, expected " +
                            $"{e.UncompressedSize}, or CRC mismatch)");
                    offsets.Add((e.Name, start, total));
                }
            }
            var spill = Own(new MappedFile(tmp));
            return offsets.ToDictionary(o => o.name, o => spill.Region(o.offset, o.length));
        }
        catch (IOException ex) { throw TempFailed(dir, ex); }
        finally
        {
            try { File.Delete(tmp); } // the mapping keeps the data alive; the name goes now so nothing is left behind
            catch (IOException) { /* never created: TMPDIR is missing */ }
        }
    }
}
