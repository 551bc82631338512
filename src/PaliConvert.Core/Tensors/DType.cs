namespace PaliConvert.Tensors;

/// <summary>Element types a checkpoint may hold. Each format maps its own spelling in its own DTypeMap.</summary>
public enum DType { F64, F32, F16, BF16, I64, I32, I8, U8, Bool }

public static class DTypeInfo
{
    public static int Size(this DType d) => d switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.I8 or DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };

    public static bool IsFloat(this DType d) => d is DType.F64 or DType.F32 or DType.F16 or DType.BF16;

    /// <summary>Lower-case name used in listings and reports (f32, bf16, ...).</summary>
    public static string Label(this DType d) => d.ToString().ToLowerInvariant();

    public static DType ParseLabel(string s) => s.ToLowerInvariant() switch
    {
        "f64" or "float64" => DType.F64,
        "f32" or "float32" => DType.F32,
        "f16" or "float16" => DType.F16,
        "bf16" or "bfloat16" => DType.BF16,
        "i64" or "int64" => DType.I64,
        "i32" or "int32" => DType.I32,
        "i8" or "int8" => DType.I8,
        "u8" or "uint8" => DType.U8,
        "bool" => DType.Bool,
        _ => throw new UsageException("dtype", $"unknown dtype '{s}' (expected f32, f16, bf16, f64, i64, i32, i8, u8 or bool)"),
    };
}
