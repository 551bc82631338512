using PaliConvert.Formats.Quantized;
using PaliConvert.Tensors;

namespace PaliConvert.Validation.Weights;

/// <summary>
/// How a target stores a weight, as the target declares it (its dtypes, its initializers' suffixes and attributes),
/// and the stored parts that encoding makes of a source tensor: the bytes the target must hold if it was made right.
/// </summary>
public abstract record WeightEncoding
{
    public abstract string Name { get; }

    /// <summary>Each stored part (by the suffix it adds to the tensor's name) as the source tensor encodes to it.</summary>
    public abstract IReadOnlyList<(string suffix, IWeightData data)> Encode(TensorView source);

    /// <summary>What the encoding loses against a source of <paramref name="dtype"/>.</summary>
    public abstract Rounding Rounding(DType dtype);
}

/// <summary>A float dtype: the same bytes for the same dtype, round-to-nearest-even into a narrower one.</summary>
public sealed record FloatEncoding(DType DType) : WeightEncoding
{
    public override string Name => DType.Label();
    public override IReadOnlyList<(string, IWeightData)> Encode(TensorView source) => [("", new ViewData(source, DType))];
    public override Rounding Rounding(DType dtype) => Roundings.Float(dtype, DType);
}

/// <summary>ONNX Runtime's per-channel dynamic quantization (q8): codes, a scale and a zero point per output channel.</summary>
public sealed record Q8Encoding(bool Symmetric) : WeightEncoding
{
    public const string Codes = "_quantized", Scales = "_scale", Zeros = "_zero_point";
    public override string Name => $"q8 ({(Symmetric ? "symmetric, int8 in -64..64" : "asymmetric, uint8")}, per channel)";
    public override Rounding Rounding(DType dtype) => Validation.Rounding.Q8;

    public override IReadOnlyList<(string, IWeightData)> Encode(TensorView source)
    {
        var q = new Int8Channels(source, Symmetric);
        return [(Codes, q.Codes), (Scales, q.Scales), (Zeros, q.ZeroPoints)];
    }
}

/// <summary>MatMulNBits' 4-bit blocks (q4, q4f16): codes, a scale per block in <paramref name="ScaleType"/>, zero points too if
/// asymmetric.</summary>
public sealed record Q4Encoding(int BlockSize, bool Symmetric, DType ScaleType) : WeightEncoding
{
    public const string Codes = "_Q4", Scales = "_scales", Zeros = "_zero_points";
    public override string Name => $"{(ScaleType == DType.F16 ? "q4f16" : "q4")} (block {BlockSize}, " +
        $"{(Symmetric ? "symmetric" : "asymmetric")})";
    public override Rounding Rounding(DType dtype) => Validation.Rounding.Q4;

    public override IReadOnlyList<(string, IWeightData)> Encode(TensorView source)
    {
        var q = new Int4Blocks(source, BlockSize, Symmetric, ScaleType);
        return q.ZeroPoints is { } z ? [(Codes, q.Codes), (Scales, q.Scales), (Zeros, z)] : [(Codes, q.Codes), (Scales, q.Scales)];
    }
}
