using PaliConvert.Tensors;

namespace PaliConvert.Formats.Safetensors;

public static class SafetensorsDTypeMap
{
    public static DType FromName(string s, string where) => s switch
    {
        "F64" => DType.F64,
        "F32" => DType.F32,
        "F16" => DType.F16,
        "BF16" => DType.BF16,
        "I64" => DType.I64,
        "I32" => DType.I32,
        "I8" => DType.I8,
        "U8" => DType.U8,
        "BOOL" => DType.Bool,
        _ => throw new BadInputException(where, $"{where}: unsupported safetensors dtype '{s}'"),
    };

    public static string ToName(DType d) => d switch
    {
        DType.F64 => "F64",
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.I64 => "I64",
        DType.I32 => "I32",
        DType.I8 => "I8",
        DType.U8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };
}
