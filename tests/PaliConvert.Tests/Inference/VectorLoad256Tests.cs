using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Inference;

/// <summary>The 256-bit widening of panels (a CPU without AVX-512) against .NET's own conversions on every 16-bit
/// pattern: finite values bit for bit, and every vector holding infinity or NaN flagged for the exact path.</summary>
public class VectorLoad256Tests
{
    private static ushort[] AllPatterns() => Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();

    [Avx2Fact]
    public void F16WidensEveryFinitePatternExactlyAndFlagsTheRest()
    {
        var bits = AllPatterns();
        ref byte at = ref MemoryMarshal.AsBytes(bits.AsSpan())[0];
        int flagged = 0;
        for (int i = 0; i < bits.Length; i += 8)
        {
            var v = F16Load256.Load(ref at, (nuint)i);
            bool special = false;
            for (int j = 0; j < 8; j++)
            {
                float want = (float)BitConverter.UInt16BitsToHalf(bits[i + j]);
                Assert.Equal(want, F16Load256.One(ref at, (nuint)(i + j)));
                if (float.IsFinite(want)) Assert.Equal(BitConverter.SingleToInt32Bits(want), BitConverter.SingleToInt32Bits(v[j]));
                special |= !float.IsFinite(want);
            }
            bool exact = F16Load256.Exact(F16Load256.Seen(Vector256<float>.Zero, v));
            Assert.Equal(special, !exact);
            flagged += exact ? 0 : 1;
        }
        Assert.Equal(2 * 1024 / 8, flagged); // exponent 31 with either sign: 2,048 patterns, 8 to a vector
    }

    [Avx2Fact]
    public void Bf16AndF32WidenEveryPatternAsFloatConvertDoes()
    {
        var bits = AllPatterns();
        var want = new float[bits.Length];
        FloatConvert.Bf16ToF32(bits, want);
        ref byte at = ref MemoryMarshal.AsBytes(bits.AsSpan())[0];
        ref byte f32 = ref MemoryMarshal.AsBytes(want.AsSpan())[0];
        for (int i = 0; i < bits.Length; i += 8)
        {
            var v = Bf16Load256.Load(ref at, (nuint)i);
            var same = F32Load256.Load(ref f32, (nuint)i);
            for (int j = 0; j < 8; j++)
            {
                int w = BitConverter.SingleToInt32Bits(want[i + j]);
                Assert.Equal(w, BitConverter.SingleToInt32Bits(v[j]));
                Assert.Equal(w, BitConverter.SingleToInt32Bits(Bf16Load256.One(ref at, (nuint)(i + j))));
                Assert.Equal(w, BitConverter.SingleToInt32Bits(same[j]));
            }
        }
    }
}
