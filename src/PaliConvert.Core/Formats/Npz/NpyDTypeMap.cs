using PaliConvert.Tensors;

namespace PaliConvert.Formats.Npz;

/// <summary>numpy's dtype strings. bfloat16 has none: big_vision saves it as 2-byte void '&lt;V2'.</summary>
public static class NpyDTypeMap
{
    public static DType FromDescr(string descr, string where)
    {
        switch (descr)
        {
            case "<f8": return DType.F64;
            case "<f4": return DType.F32;
            case "<f2": return DType.F16;
            case "<V2" or "|V2": return DType.BF16;
            case "<i8": return DType.I64;
            case "<i4": return DType.I32;
            case "|i1" or "<i1": return DType.I8;
            case "|u1" or "<u1": return DType.U8;
            case "|b1": return DType.Bool;
        }
        if (descr.StartsWith('>'))
            throw new BadInputException(where, $"{where}: big-endian dtype '{descr}' is not supported (numpy: " +
                $"arr.astype(arr.dtype.newbyteorder('<')))");
        if (descr.Contains('O'))
            throw new BadInputException(where, $"{where}: object dtype '{descr}' (pickled Python objects) is refused; it is never " +
                $"unpickled");
        throw new BadInputException(where, $"{where}: unsupported dtype '{descr}'");
    }

    public static string ToDescr(DType d) => d switch
    {
        DType.F64 => "<f8",
        DType.F32 => "<f4",
        DType.F16 => "<f2",
        DType.BF16 => "<V2",
        DType.I64 => "<i8",
        DType.I32 => "<i4",
        DType.I8 => "|i1",
        DType.U8 => "|u1",
        DType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };
}
