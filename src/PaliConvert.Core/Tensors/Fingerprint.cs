using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace PaliConvert.Tensors;

/// <summary>
/// What a checkpoint's weights are, in 16 hex digits: XXH3 over every tensor's name, dtype, shape and bytes, in name
/// order, so the same weights give the same fingerprint however the file orders or shards them. Outputs record the
/// fingerprint of the source they were made from; a hub folder's variants must share one. One read of the weights,
/// a chunk at a time, released as it goes.
/// </summary>
public static class Fingerprint
{
    public const string Prefix = "xxh3:";
    private const int Chunk = 16 << 20;

    public static string Of(Checkpoint ck)
    {
        var all = new XxHash3();
        foreach (var t in ck.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var h = new XxHash3();
            h.Append(Encoding.UTF8.GetBytes($"{t.Name}\n{t.DType.Label()}\n{Shape.Format(t.Shape)}\n"));
            for (long o = 0; o < t.ByteLength; o += Chunk)
            {
                int n = (int)Math.Min(Chunk, t.ByteLength - o);
                h.Append(t.Data.Span(o, n));
                t.Data.Release(o, n);
            }
            all.Append(h.GetCurrentHash());
        }
        return Prefix + all.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>One fingerprint for a model made of parts (a base and an adapter merged into it).</summary>
    public static string Combine(params string[] parts) =>
        Prefix + XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(string.Join("\n", parts))).ToString("x16", CultureInfo.InvariantCulture);

    public static string OfBytes(ReadOnlySpan<byte> bytes) =>
        Prefix + XxHash3.HashToUInt64(bytes).ToString("x16", CultureInfo.InvariantCulture);
}
