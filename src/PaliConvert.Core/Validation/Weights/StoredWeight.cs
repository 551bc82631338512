using PaliConvert.Formats.Onnx;
using PaliConvert.Tensors;

namespace PaliConvert.Validation.Weights;

/// <summary>One weight as a target stores it: its Hugging Face name, the encoding it declares, its stored parts, and where.</summary>
public sealed record StoredWeight(string Name, WeightEncoding Encoding, IReadOnlyList<(string suffix, TensorInfo stored)> Parts,
    string File);

public static class StoredWeights
{
    /// <summary>A Hugging Face or npz checkpoint's tensors, each in its own float dtype.</summary>
    public static IEnumerable<StoredWeight> Plain(Checkpoint ck) =>
        ck.Tensors.Select(t => new StoredWeight(t.Name, new FloatEncoding(t.DType), [("", t)], ck.Path));

    /// <summary>
    /// An ONNX graph's weights, grouped by the Hugging Face name their initializers carry: a plain float, q8's codes,
    /// scale and zero point, or MatMulNBits' codes, scales (and zero points) with its block size.
    /// </summary>
    public static IEnumerable<StoredWeight> Onnx(OnnxCheckpoint ck)
    {
        var groups = ck.Tensors.GroupBy(t => Base(t.Name).name, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            var parts = g.Select(t => (Base(t.Name).suffix, t)).ToList();
            var suffixes = parts.Select(p => p.suffix).ToHashSet();
            WeightEncoding enc;
            if (suffixes.Contains(Q8Encoding.Codes))
                enc = new Q8Encoding(parts.First(p => p.suffix == Q8Encoding.Codes).t.DType == DType.I8);
            else if (suffixes.Contains(Q4Encoding.Codes))
            {
                var codes = parts.First(p => p.suffix == Q4Encoding.Codes).t;
                var scales = parts.FirstOrDefault(p => p.suffix == Q4Encoding.Scales).t;
                int block = (int)ck.BlockSizes.GetValueOrDefault(codes.Name);
                if (block is not (16 or 32 or 64 or 128 or 256))
                    throw new BadInputException(ck.Path, $"{ck.Path}: '{codes.Name}' is 4-bit codes, but no MatMulNBits node gives it a " +
                        $"block size of 16, 32, 64, 128 or 256 (found {block})", codes.Name);
                enc = new Q4Encoding(block, !suffixes.Contains(Q4Encoding.Zeros), scales?.DType ?? DType.F32);
            }
            else if (parts.Count == 1 && parts[0].suffix == "") enc = new FloatEncoding(parts[0].t.DType);
            else
                throw new BadInputException(ck.Path, $"{ck.Path}: initializers {string.Join(", ", parts.Select(p => $"'{p.t.Name}'"))} " +
                    $"are not one weight in any encoding PaliConvert writes", g.Key);
            yield return new StoredWeight(g.Key, enc, parts, ck.Path);
        }
    }

    private static readonly string[] Suffixes =
        [Q8Encoding.Codes, Q8Encoding.Scales, Q8Encoding.Zeros, Q4Encoding.Codes, Q4Encoding.Scales, Q4Encoding.Zeros];

    /// <summary>The Hugging Face name an initializer belongs to, and the part's suffix.</summary>
    private static (string name, string suffix) Base(string name)
    {
        foreach (var s in Suffixes.OrderByDescending(s => s.Length))
            if (name.EndsWith(s, StringComparison.Ordinal) && name[..^s.Length] is var b && (b.EndsWith(".weight") || b.EndsWith(".bias")))
                return (b, s);
        return (name, "");
    }
}
