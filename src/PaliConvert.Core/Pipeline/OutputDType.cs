using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

/// <summary>
/// How a converter chooses the written dtype: Auto, the widest float in the source for all; Keep, each tensor's own
/// (widest of its slices); or one fixed type.
/// </summary>
public enum OutputDType { Auto, Keep, F32, BF16, F16 }

public static class OutputDTypes
{
    /// <summary>The fixed type, or null for Auto and Keep.</summary>
    public static DType? Fixed(this OutputDType d) => d switch
    {
        OutputDType.F32 => DType.F32,
        OutputDType.BF16 => DType.BF16,
        OutputDType.F16 => DType.F16,
        _ => null,
    };
}
