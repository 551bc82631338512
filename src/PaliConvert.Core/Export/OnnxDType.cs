using PaliConvert.Tensors;

namespace PaliConvert.Export;

/// <summary>How an export stores its weights, by transformers.js's dtype names.</summary>
public enum OnnxDType { Fp32, Fp16, Q8, Q4, Q4F16 }

public static class OnnxDTypes
{
    public static IReadOnlyList<OnnxDType> All { get; } = Enum.GetValues<OnnxDType>();

    /// <summary>transformers.js's name (its from_pretrained dtype option).</summary>
    public static string Name(this OnnxDType d) => d.ToString().ToLowerInvariant();

    /// <summary>transformers.js's file-name suffix for the dtype.</summary>
    public static string Suffix(this OnnxDType d) => d switch
    {
        OnnxDType.Fp32 => "",
        OnnxDType.Fp16 => "_fp16",
        OnnxDType.Q8 => "_quantized",
        OnnxDType.Q4 => "_q4",
        _ => "_q4f16",
    };

    /// <summary>How the tensors that stay in float (norms, biases, embeddings, the patch convolution) are stored.</summary>
    public static DType FloatStorage(this OnnxDType d) => d is OnnxDType.Fp16 or OnnxDType.Q4F16 ? DType.F16 : DType.F32;

    public static bool IsQuantized(this OnnxDType d) => d is OnnxDType.Q8 or OnnxDType.Q4 or OnnxDType.Q4F16;

    /// <summary>The dtype of a name: transformers.js's, or f32/f16 as the other commands spell them.</summary>
    public static OnnxDType? Parse(string name) => name.ToLowerInvariant() switch
    {
        "fp32" or "f32" => OnnxDType.Fp32,
        "fp16" or "f16" => OnnxDType.Fp16,
        "q8" => OnnxDType.Q8,
        "q4" => OnnxDType.Q4,
        "q4f16" => OnnxDType.Q4F16,
        _ => null,
    };
}

/// <summary>
/// An export's weights: the dtype, and for 4-bit weights the block size (ONNX Runtime's MatMulNBits accepts a power of
/// two from 16); symmetric quantization has no zero points (transformers.js's own exports are symmetric).
/// </summary>
public sealed record OnnxWeights(OnnxDType DType, int BlockSize = 32, bool Symmetric = true)
{
    public static readonly OnnxWeights Fp32 = new(OnnxDType.Fp32);

    public OnnxWeights Checked() => BlockSize is 16 or 32 or 64 or 128 or 256 ? this
        : throw new UsageException("block size", $"block size {BlockSize}: MatMulNBits takes 16, 32, 64, 128 or 256");
}
