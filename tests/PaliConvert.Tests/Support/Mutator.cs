using System.Text;
using System.Text.Json.Nodes;

namespace PaliConvert.Tests;

/// <summary>
/// Deterministic damage to a file's bytes: truncations, bit flips, integer fields set to extremes (lies about sizes
/// and offsets), inserted and deleted runs, copied runs, and for JSON, values swapped for other types or nested deep.
/// Offsets favour the seed's structural regions (headers, directories), where a lie matters.
/// </summary>
public sealed class Mutator(int seed)
{
    private readonly Random _rng = new(seed);

    private static readonly ulong[] Extremes =
    [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0x4000_0000_0000_0000, 0x0010_0000_0000_0000,
    ];

    /// <summary>An integer at or beyond a boundary (either sign), or a random one.</summary>
    public long Extreme() => _rng.Next(4) == 0 ? _rng.NextInt64(long.MinValue, long.MaxValue)
        : (long)Extremes[_rng.Next(Extremes.Length)] * (_rng.Next(2) == 0 ? 1 : -1);

    public byte[] Bytes(byte[] seedBytes, IReadOnlyList<(long start, long length)> hot)
    {
        var b = seedBytes.ToArray();
        int kind = _rng.Next(6);
        long at = Offset(b.Length, hot);
        switch (kind)
        {
            case 0: return b[..(int)Math.Min(at, b.Length)];
            case 1:
                for (int i = 0, n = _rng.Next(1, 5); i < n; i++)
                {
                    long p = Offset(b.Length, hot);
                    if (p < b.Length) b[p] ^= (byte)(1 << _rng.Next(8));
                }
                return b;
            case 2:
                int width = new[] { 2, 4, 8 }[_rng.Next(3)];
                ulong v = _rng.Next(4) == 0 ? (ulong)_rng.NextInt64() : Extremes[_rng.Next(Extremes.Length)];
                for (int i = 0; i < width && at + i < b.Length; i++) b[at + i] = (byte)(v >> (8 * i));
                return b;
            case 3:
                var extra = new byte[_rng.Next(1, 64)];
                _rng.NextBytes(extra);
                return [.. b[..(int)at], .. extra, .. b[(int)at..]];
            case 4:
                long cut = Math.Min(b.Length - at, _rng.Next(1, 256));
                return [.. b[..(int)at], .. b[(int)(at + cut)..]];
            default:
                long from = Offset(b.Length, hot), len = Math.Min(_rng.Next(1, 64), b.Length - Math.Max(from, at));
                if (len > 0) Array.Copy(b, from, b, at, len);
                return b;
        }
    }

    private long Offset(long length, IReadOnlyList<(long start, long length)> hot)
    {
        if (length == 0) return 0;
        if (hot.Count > 0 && _rng.Next(4) != 0)
        {
            var (s, n) = hot[_rng.Next(hot.Count)];
            return Math.Clamp(s + _rng.NextInt64(Math.Max(1, n)), 0, length - 1);
        }
        return _rng.NextInt64(length);
    }

    /// <summary>The JSON text with one value replaced by one of another type (or a deeply nested one), or its bytes damaged.</summary>
    public byte[] Json(string json)
    {
        if (_rng.Next(3) == 0) return Bytes(Encoding.UTF8.GetBytes(json), []);
        var root = JsonNode.Parse(json)!;
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[_rng.Next(nodes.Count)];
        JsonNode? replacement = _rng.Next(10) switch
        {
            0 => JsonValue.Create("abc"),
            1 => JsonValue.Create(-1),
            2 => JsonValue.Create(0),
            3 => JsonValue.Create(1e300),
            4 => JsonValue.Create(2.5),
            5 => JsonValue.Create(true),
            6 => null,
            7 => new JsonArray(JsonValue.Create(1), JsonValue.Create("x")),
            8 => new JsonObject { ["k"] = 1 },
            _ => JsonValue.Create(9_223_372_036_854_775_807L),
        };
        if (target.Parent is JsonObject o) o[target.GetPropertyName()] = replacement;
        else if (target.Parent is JsonArray a) a[target.GetElementIndex()] = replacement;
        else return Encoding.UTF8.GetBytes(_rng.Next(2) == 0 ? new string('[', 100_000) : "\"\\ud800\"");
        string text = root.ToJsonString();
        if (_rng.Next(8) == 0) text = text.Replace("\"abc\"", new string('[', 5000) + new string(']', 5000));
        return Encoding.UTF8.GetBytes(text);
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        if (node is JsonObject o) foreach (var (_, v) in o) { if (v != null) Collect(v, into); }
        else if (node is JsonArray a) foreach (var v in a) { if (v != null) Collect(v, into); }
    }
}
