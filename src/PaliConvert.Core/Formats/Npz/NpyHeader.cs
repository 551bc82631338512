using System.Buffers.Binary;
using System.Text;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Npz;

/// <summary>The header of one .npy array: what it holds and where its data starts.</summary>
public sealed record NpyHeader(DType DType, long[] Shape, int DataOffset)
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    public const int MaxHeader = 1 << 20;

    /// <summary>Parses the header at the start of <paramref name="s"/>; <paramref name="where"/> names file and member in errors.</summary>
    public static NpyHeader Parse(ReadOnlySpan<byte> s, string where)
    {
        if (s.Length < 10 || !s[..6].SequenceEqual(Magic)) throw new BadInputException(where, $"{where}: not a .npy array (bad magic)");
        int major = s[6];
        int lenSize = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new BadInputException(where, $"{where}: unsupported .npy format version {major}.{s[7]}"),
        };
        if (s.Length < 8 + lenSize) throw new BadInputException(where, $"{where}: truncated .npy header");
        long hlen = lenSize == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(s[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[8..]);
        int start = 8 + lenSize;
        if (hlen > MaxHeader || start + hlen > s.Length)
            throw new BadInputException(where, $"{where}: .npy header length {hlen} runs past the member");
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(s.Slice(start, (int)hlen));
        var dict = PyLiteral.ParseDict(text, where);

        if (!dict.TryGetValue("descr", out var descrObj)) throw new BadInputException(where, $"{where}: .npy header has no 'descr'");
        if (descrObj is not string descr)
            throw new BadInputException(where,
                $"{where}: structured dtype {text.Trim()} is not supported; expected one plain dtype per tensor");
        if (!dict.TryGetValue("fortran_order", out var fo) || fo is not bool fortran)
            throw new BadInputException(where, $"{where}: .npy header has no boolean 'fortran_order'");
        if (fortran) throw new BadInputException(where, $"{where}: Fortran-ordered arrays are not supported (save with C order)");
        if (!dict.TryGetValue("shape", out var sh) || sh is not List<long> shape)
            throw new BadInputException(where, $"{where}: .npy header has no integer tuple 'shape'");
        if (shape.Any(d => d < 0))
            throw new BadInputException(where, $"{where}: .npy shape {Tensors.Shape.Format(shape)} has a negative dimension");
        try { Tensors.Shape.Bytes(shape, NpyDTypeMap.FromDescr(descr, where)); }
        catch (OverflowException) { throw new BadInputException(where, $"{where}: .npy shape {Tensors.Shape.Format(shape)} is too large"); }
        return new NpyHeader(NpyDTypeMap.FromDescr(descr, where), shape.ToArray(), checked(start + (int)hlen));
    }

    /// <summary>A version 1.0 header (version 2.0 if it does not fit), padded to 64 bytes as numpy writes it.</summary>
    public static byte[] Write(DType dtype, IReadOnlyList<long> shape)
    {
        string dims = shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{NpyDTypeMap.ToDescr(dtype)}', 'fortran_order': False, 'shape': {dims}, }}";
        bool v2 = dict.Length + 11 > ushort.MaxValue;
        int pre = v2 ? 12 : 10;
        int total = (pre + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - pre - 1) + "\n";
        var buf = new byte[total];
        Magic.CopyTo(buf, 0);
        buf[6] = (byte)(v2 ? 2 : 1);
        if (v2) BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(8), (uint)header.Length);
        else BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(8), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header, buf.AsSpan(pre));
        return buf;
    }
}
