using System.Security.Cryptography;
using PaliConvert.Formats.Npz;
using PaliConvert.Tensors;

namespace PaliConvert.Tests;

/// <summary>Writes a modified copy of an npz: each tensor may be renamed, split or have its bytes changed.</summary>
public static class NpzCopy
{
    public static string Write(string source, string target, Func<TensorInfo,
        IEnumerable<(string name, long[] shape, byte[] bytes)>>? transform = null)
    {
        using var ck = NpzCheckpoint.Open(source);
        using var w = new NpzWriter(target);
        foreach (var t in ck.Tensors)
        {
            var outputs = transform?.Invoke(t) ?? [(t.Name, t.Shape, t.Data.Span(0, (int)t.ByteLength).ToArray())];
            foreach (var (name, shape, bytes) in outputs)
            {
                w.BeginTensor(name, t.DType, shape);
                w.Write(bytes);
                w.EndTensor();
            }
        }
        w.Finish();
        return target;
    }

    public static byte[] Bytes(TensorInfo t) => t.Data.Span(0, (int)t.ByteLength).ToArray();

    /// <summary>SHA-256 of a tensor's stored bytes, as the numpy oracle prints it.</summary>
    public static string Sha256(TensorInfo t)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long o = 0; o < t.ByteLength; o += 1 << 20)
            sha.AppendData(t.Data.Span(o, (int)Math.Min(1 << 20, t.ByteLength - o)));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
