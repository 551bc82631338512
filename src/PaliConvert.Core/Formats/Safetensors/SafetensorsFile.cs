using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Safetensors;

/// <summary>Parses and validates one .safetensors file; parsing is validating, as the reference implementation does.</summary>
public static class SafetensorsFile
{
    public const long MaxHeader = 100_000_000;

    public sealed record Entry(string Name, DType DType, long[] Shape, Region Data);

    public static (List<Entry> tensors, Dictionary<string, string> metadata) Read(MappedFile f)
    {
        string where = f.Path;
        if (f.Length < 8) throw new BadInputException(where, $"{where}: too short for a safetensors file ({f.Length} bytes)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(f.Span(0, 8));
        if (n > MaxHeader) throw new BadInputException(where, $"{where}: header length {n} exceeds the {MaxHeader}-byte cap");
        if (8 + (long)n > f.Length)
            throw new BadInputException(where, $"{where}: header length {n} runs past the end of the file ({f.Length} bytes): truncated");
        long dataStart = 8 + (long)n, dataLength = f.Length - dataStart;

        JsonDocument doc;
        doc = JsonText.Parse(f.Span(8, (int)n).ToArray(), $"{where}: header");
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new BadInputException(where, $"{where}: header is not a JSON object");

        var metadata = new Dictionary<string, string>();
        var raw = new List<(string name, DType dtype, long[] shape, long begin, long end)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw new BadInputException(where, $"{where}: tensor '{p.Name}' is listed twice in the header");
            if (p.Name == "__metadata__")
            {
                if (p.Value.ValueKind != JsonValueKind.Object) throw new BadInputException(where, $"{where}: __metadata__ is not an " +
                    $"object");
                foreach (var m in p.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? JsonText.String(m.Value, where)
                        : throw new BadInputException(where, $"{where}: __metadata__ value '{m.Name}' is not a string");
                continue;
            }
            raw.Add(ParseEntry(where, p));
        }

        // The tensors must tile the data area exactly: sorted by start, each begins where the last ended.
        raw.Sort((a, b) => a.begin != b.begin ? a.begin.CompareTo(b.begin) : a.end.CompareTo(b.end));
        long cursor = 0;
        string? previous = null;
        foreach (var t in raw)
        {
            if (t.begin != cursor)
                throw new BadInputException(where, t.begin < cursor
                    ? $"{where}: tensor '{t.name}' (bytes {t.begin}..{t.end}) overlaps '{previous}'"
                    : $"{where}: gap before tensor '{t.name}': bytes {cursor}..{t.begin} belong to no tensor");
            cursor = t.end;
            previous = t.name;
        }
        if (cursor != dataLength)
            throw new BadInputException(where, cursor > dataLength
                ? $"{where}: tensor '{previous}' ends at byte {cursor} of the data but the file holds {dataLength}: truncated"
                : $"{where}: {dataLength - cursor} bytes after the last tensor belong to no tensor");

        var entries = raw.Select(t => new Entry(t.name, t.dtype, t.shape, f.Region(dataStart + t.begin, t.end - t.begin))).ToList();
        return (entries, metadata);
    }

    private static (string, DType, long[], long, long) ParseEntry(string where, JsonProperty p)
    {
        string at = $"{where}: tensor '{p.Name}'";
        var v = p.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new BadInputException(at, $"{at}: entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new BadInputException(at, $"{at}: no dtype");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new BadInputException(at, $"{at}: no shape");
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new BadInputException(at, $"{at}: data_offsets must be [begin, end]");
        var dtype = SafetensorsDTypeMap.FromName(JsonText.String(dt, at), at);
        var shape = sh.EnumerateArray().Select(d => Long(d) is var x && x >= 0 ? x
            : throw new BadInputException(at, $"{at}: bad dimension {d}", p.Name)).ToArray();
        long begin = Long(off[0]), end = Long(off[1]);
        if (begin < 0 || end < begin) throw new BadInputException(at, $"{at}: bad data_offsets [{off[0]}, {off[1]}]");
        long expected;
        try { expected = Shape.Bytes(shape, dtype); }
        catch (OverflowException) { throw new BadInputException(at, $"{at}: shape {Shape.Format(shape)} is too large"); }
        if (end - begin != expected)
            throw new BadInputException(at, $"{at}: {dtype.Label()} {Shape.Format(shape)} needs {expected} bytes but data_offsets give " +
                $"{end - begin}");
        return (p.Name, dtype, shape, begin, end);
    }

    /// <summary>A JSON integer, or -1 for anything else (a string, null, a list: a header's type swaps).</summary>
    private static long Long(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var x) ? x : -1;

    /// <summary>The header for the given tensors laid out in order, padded with spaces to a multiple of 8.</summary>
    public static byte[] BuildHeader(IEnumerable<(string name, DType dtype, long[] shape)> tensors, IReadOnlyDictionary<string,
        string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape) in tensors)
            {
                long size = Shape.Bytes(shape, dtype);
                w.WriteStartObject(name);
                w.WriteString("dtype", SafetensorsDTypeMap.ToName(dtype));
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        var json = ms.ToArray();
        int padded = (json.Length + 7) / 8 * 8;
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.CopyTo(header, 8);
        header.AsSpan(8 + json.Length).Fill((byte)' ');
        return header;
    }
}
