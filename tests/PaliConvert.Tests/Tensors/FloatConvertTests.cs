using PaliConvert.Tensors;

namespace PaliConvert.Tests.Tensors;

public class FloatConvertTests
{
    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1.0
    [InlineData(0x3F808000u, (ushort)0x3F80)] // halfway, even below: stays
    [InlineData(0x3F818000u, (ushort)0x3F82)] // halfway, odd below: rounds up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above halfway
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // max float rounds to +inf, as IEEE does
    [InlineData(0x7F800000u, (ushort)0x7F80)] // +inf
    [InlineData(0xFF800000u, (ushort)0xFF80)] // -inf
    [InlineData(0x7F800001u, (ushort)0x7FC0)] // signalling NaN with only low bits: stays NaN (quiet)
    [InlineData(0xFFC00000u, (ushort)0xFFC0)] // negative quiet NaN keeps its sign
    [InlineData(0x80000000u, (ushort)0x8000)] // -0
    public void F32ToBf16RoundsToNearestEvenAndKeepsNaN(uint f32Bits, ushort expected)
    {
        Assert.Equal(expected, FloatConvert.ScalarF32ToBf16(f32Bits));
        // the vectorised path must agree: put the value in a long span so vectors are used
        var src = Enumerable.Repeat(BitConverter.UInt32BitsToSingle(f32Bits), 100).ToArray();
        var dst = new ushort[100];
        FloatConvert.F32ToBf16(src, dst);
        Assert.All(dst, d => Assert.Equal(expected, d));
    }

    [Fact]
    public void VectorAndScalarBf16PathsAgreeOnRandomBits()
    {
        var rng = new Random(7);
        var bits = new uint[10007];
        for (int i = 0; i < bits.Length; i++) bits[i] = (uint)rng.NextInt64(0, 1L << 32);
        var floats = bits.Select(BitConverter.UInt32BitsToSingle).ToArray();
        var dst = new ushort[bits.Length];
        FloatConvert.F32ToBf16(floats, dst);
        for (int i = 0; i < bits.Length; i++) Assert.Equal(FloatConvert.ScalarF32ToBf16(bits[i]), dst[i]);
        var back = new float[bits.Length];
        FloatConvert.Bf16ToF32(dst, back);
        for (int i = 0; i < bits.Length; i++) Assert.Equal((uint)dst[i] << 16, BitConverter.SingleToUInt32Bits(back[i]));
    }

    [Fact]
    public void F16RoundTripIsExactAndF32ToF16RoundsToNearestEven()
    {
        var all = Enumerable.Range(0, 65536).Select(i => BitConverter.UInt16BitsToHalf((ushort)i)).ToArray();
        var bytes = new byte[all.Length * 2];
        Buffer.BlockCopy(all.Select(h => BitConverter.HalfToUInt16Bits(h)).ToArray(), 0, bytes, 0, bytes.Length);
        var f = new float[all.Length];
        FloatConvert.ToF32(DType.F16, bytes, f);
        for (int i = 0; i < all.Length; i++) // every pattern as the runtime widens it, NaN as any NaN
            if (Half.IsNaN(all[i])) Assert.True(float.IsNaN(f[i]));
            else Assert.Equal(BitConverter.SingleToUInt32Bits((float)all[i]), BitConverter.SingleToUInt32Bits(f[i]));
        var again = new byte[bytes.Length];
        FloatConvert.FromF32(DType.F16, f, again);
        for (int i = 0; i < all.Length; i++)
        {
            if (Half.IsNaN(all[i])) Assert.True(Half.IsNaN(BitConverter.ToHalf(again, 2 * i)));
            else Assert.Equal(bytes[2 * i] | bytes[2 * i + 1] << 8, again[2 * i] | again[2 * i + 1] << 8);
        }
        // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even, so 1
        var one = new byte[2];
        FloatConvert.FromF32(DType.F16, [1f + MathF.Pow(2, -11)], one);
        Assert.Equal((ushort)0x3C00, BitConverter.ToUInt16(one));
    }

    [Fact]
    public void ConvertBetweenEqualDTypesCopiesBitsExactly()
    {
        var src = new byte[] { 1, 0x7F, 0xC1, 0xFF };
        var dst = new byte[4];
        FloatConvert.Convert(DType.BF16, src, DType.BF16, dst, new float[2]);
        Assert.Equal(src, dst);
    }
}
