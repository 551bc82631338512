using PaliConvert.Tensors;

namespace PaliConvert.Synth;

/// <summary>The dtypes a synthetic checkpoint is stored in.</summary>
public enum SynthDType
{
    /// <summary>llm/layers/attn/* f32, the rest f16, as the fine-tuning notebook saves.</summary>
    Mixed,
    F32,
    F16,
    BF16,
}

public static class SynthDTypes
{
    /// <summary>The dtype the tensor <paramref name="name"/> is stored in.</summary>
    public static DType For(this SynthDType mode, string name) => mode switch
    {
        SynthDType.F32 => DType.F32,
        SynthDType.BF16 => DType.BF16,
        SynthDType.Mixed when name.StartsWith("llm/layers/attn/", StringComparison.Ordinal) => DType.F32,
        _ => DType.F16,
    };
}
