using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace PaliConvert.Tensors;

/// <summary>
/// The one place where float formats are converted. f16 to f32 by a shift and a multiply, f32 to f16 by
/// System.Numerics.Tensors (vectorised, round to nearest even); bf16 is the top half of an f32, rounded to nearest
/// even with NaN kept a quiet NaN.
/// </summary>
public static class FloatConvert
{
    public static void ToF32(DType from, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (from)
        {
            case DType.F32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case DType.F16: F16ToF32(MemoryMarshal.Cast<byte, short>(src), dst); break;
            case DType.BF16: Bf16ToF32(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
            case DType.F64:
                var d = MemoryMarshal.Cast<byte, double>(src);
                for (int i = 0; i < d.Length; i++) dst[i] = (float)d[i];
                break;
            default: throw new NotSupportedException($"cannot read {from.Label()} as float");
        }
    }

    public static void FromF32(DType to, ReadOnlySpan<float> src, Span<byte> dst)
    {
        switch (to)
        {
            case DType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
            case DType.F16: TensorPrimitives.ConvertToHalf(src, MemoryMarshal.Cast<byte, Half>(dst)); break;
            case DType.BF16: F32ToBf16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case DType.F64:
                var d = MemoryMarshal.Cast<byte, double>(dst);
                for (int i = 0; i < src.Length; i++) d[i] = src[i];
                break;
            default: throw new NotSupportedException($"cannot write float as {to.Label()}");
        }
    }

    /// <summary>Converts between float dtypes; equal dtypes copy bytes, so values pass through bit for bit.</summary>
    public static void Convert(DType from, ReadOnlySpan<byte> src, DType to, Span<byte> dst, Span<float> scratch)
    {
        if (from == to) { src.CopyTo(dst); return; }
        int n = src.Length / from.Size();
        if (to == DType.F32) { ToF32(from, src, MemoryMarshal.Cast<byte, float>(dst)[..n]); return; } // widened in place
        var tmp = scratch[..n];
        ToF32(from, src, tmp);
        FromF32(to, tmp, dst);
    }

    /// <summary>2^112, and the bits kept of an f16 sign-extended and shifted left 13 (see <see cref="F16ToF32"/>; the
    /// in-register loads of Inference use the same trick).</summary>
    public const float F16Scale = 5.1922969e33f;

    public const int F16Bits = unchecked((int)0x8FFFE000);

    /// <summary>
    /// f16 to f32 without a hardware conversion (.NET exposes no F16C): sign-extended and shifted left 13, the sign
    /// lands on bit 31 and exponent and mantissa on f32's places, so the value is exact times 2^-112 (subnormals too)
    /// and one multiply by 2^112 rescales it. A vector holding infinity or NaN (exponent 31) goes through
    /// System.Numerics.Tensors, as the tail does; that general conversion was a tenth of a 3B pass's CPU on AVX2.
    /// </summary>
    public static void F16ToF32(ReadOnlySpan<short> src, Span<float> dst)
    {
        int i = 0, w = Vector<short>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var exp = new Vector<short>(0x7C00);
            var mask = new Vector<int>(F16Bits);
            var scale = new Vector<float>(F16Scale);
            for (; i + w <= src.Length; i += w)
            {
                var h = new Vector<short>(src.Slice(i, w));
                if (Vector.EqualsAny(h & exp, exp))
                {
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<short, Half>(src.Slice(i, w)), dst.Slice(i, w));
                    continue;
                }
                Vector.Widen(h, out var lo, out var hi);
                (Vector.AsVectorSingle((lo << 13) & mask) * scale).CopyTo(dst.Slice(i, w / 2));
                (Vector.AsVectorSingle((hi << 13) & mask) * scale).CopyTo(dst.Slice(i + w / 2, w / 2));
            }
        }
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<short, Half>(src[i..]), dst[i..src.Length]);
    }

    public static void Bf16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        var outBits = MemoryMarshal.Cast<float, uint>(dst)[..src.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<ushort>.Count;
            for (; i + w <= src.Length; i += w)
            {
                Vector.Widen(new Vector<ushort>(src.Slice(i, w)), out var lo, out var hi);
                (lo << 16).CopyTo(outBits.Slice(i, w / 2));
                (hi << 16).CopyTo(outBits.Slice(i + w / 2, w / 2));
            }
        }
        for (; i < src.Length; i++) outBits[i] = (uint)src[i] << 16;
    }

    public static void F32ToBf16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        var bits = MemoryMarshal.Cast<float, uint>(src);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<uint>.Count;
            var one = Vector<uint>.One;
            var bias = new Vector<uint>(0x7FFF);
            var expMask = new Vector<uint>(0x7F800000);
            var mantMask = new Vector<uint>(0x007FFFFF);
            var quiet = new Vector<uint>(0x00400000);
            for (; i + 2 * w <= src.Length; i += 2 * w)
            {
                var a = Round(new Vector<uint>(bits.Slice(i, w)));
                var b = Round(new Vector<uint>(bits.Slice(i + w, w)));
                Vector.Narrow(a, b).CopyTo(dst.Slice(i, 2 * w));
            }

            Vector<uint> Round(Vector<uint> x)
            {
                var rounded = (x + bias + ((x >> 16) & one)) >> 16;
                var isNan = Vector.BitwiseAnd(
                    Vector.Equals(x & expMask, expMask),
                    Vector.OnesComplement(Vector.Equals(x & mantMask, Vector<uint>.Zero)));
                var nan = (x | quiet) >> 16;
                return Vector.ConditionalSelect(isNan, nan, rounded);
            }
        }
        for (; i < src.Length; i++) dst[i] = ScalarF32ToBf16(bits[i]);
    }

    public static ushort ScalarF32ToBf16(uint x)
    {
        if ((x & 0x7F800000) == 0x7F800000 && (x & 0x007FFFFF) != 0) return (ushort)((x | 0x00400000) >> 16);
        return (ushort)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
    }
}
