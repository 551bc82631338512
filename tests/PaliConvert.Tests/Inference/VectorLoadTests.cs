using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Inference;

/// <summary>
/// The in-register widening of a decode step against .NET's own conversions on every 16-bit pattern, and a one-row
/// product whose f16 weights hold infinities and NaN (the values the fast widening cannot express), in both layouts.
/// </summary>
public class VectorLoadTests
{
    private static ushort[] AllPatterns() => Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();

    [Avx512Fact]
    public void F16WidensEveryFinitePatternExactlyAndFlagsTheRest()
    {
        var bits = AllPatterns();
        ref byte at = ref MemoryMarshal.AsBytes(bits.AsSpan())[0];
        for (int i = 0; i < bits.Length; i += 16)
        {
            var v = F16Load.Load(ref at, (nuint)i);
            bool special = false;
            for (int j = 0; j < 16; j++)
            {
                float want = (float)BitConverter.UInt16BitsToHalf(bits[i + j]);
                Assert.Equal(want, F16Load.One(ref at, (nuint)(i + j)));
                if (float.IsFinite(want)) Assert.Equal(BitConverter.SingleToInt32Bits(want), BitConverter.SingleToInt32Bits(v[j]));
                special |= !float.IsFinite(want);
            }
            Assert.Equal(special, !F16Load.Exact(F16Load.Seen(Vector512<float>.Zero, v)));
            var scaled = ScaledF16Load.Load(ref at, (nuint)i); // the value times 2^-112, exactly
            Assert.Equal(special, !ScaledF16Load.Exact(ScaledF16Load.Seen(Vector512<float>.Zero, scaled)));
            for (int j = 0; j < 16; j++)
                if (float.IsFinite(v[j])) Assert.Equal(v[j], scaled[j] * ScaledF16Load.XScale);
        }
    }

    [Avx512Fact]
    public void Bf16WidensEveryPatternAsFloatConvertDoes()
    {
        var bits = AllPatterns();
        var want = new float[bits.Length];
        FloatConvert.Bf16ToF32(bits, want);
        ref byte at = ref MemoryMarshal.AsBytes(bits.AsSpan())[0];
        for (int i = 0; i < bits.Length; i += 16)
        {
            var v = Bf16Load.Load(ref at, (nuint)i);
            for (int j = 0; j < 16; j++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(want[i + j]), BitConverter.SingleToInt32Bits(v[j]));
                Assert.Equal(BitConverter.SingleToInt32Bits(want[i + j]), BitConverter.SingleToInt32Bits(Bf16Load.One(ref at,
                    (nuint)(i + j))));
            }
        }
    }

    [Theory]
    [InlineData(false, 1), InlineData(true, 1), InlineData(false, 40), InlineData(true, 40)]
    public void ThroughInfinitiesAndNaNGivesWhatTheExactValuesGive(bool outIn, int s)
    {
        const int inputs = 96, outputs = 80;
        var w = Enumerable.Range(0, inputs * outputs).Select(i => (Half)((i % 13 - 6) * 0.125f)).ToArray();
        int inf = 5 * inputs + 17, nan = 41 * inputs + 3; // weight (output, input) = (5, 17) and (41, 3), [out, in] order
        if (!outIn) (inf, nan) = (17 * outputs + 5, 3 * outputs + 41);
        w[inf] = Half.PositiveInfinity;
        w[nan] = Half.NaN;
        var x = Enumerable.Range(0, s * inputs).Select(k => 0.5f + k % 3).ToArray();
        var y = Product(w, x, s, inputs, outputs, outIn);
        for (int i = 0; i < s; i++)
        {
            Assert.Equal(float.PositiveInfinity, y[i * outputs + 5]);
            Assert.True(float.IsNaN(y[i * outputs + 41]), $"row {i}, output 41: {y[i * outputs + 41]}");
            for (int o = 0; o < outputs; o++)
            {
                if (o is 5 or 41) continue;
                double sum = 0;
                for (int k = 0; k < inputs; k++) sum += (double)x[i * inputs + k] * (float)w[outIn ? o * inputs + k : k * outputs + o];
                Assert.True(Math.Abs(sum - y[i * outputs + o]) < 1e-4, $"row {i}, output {o}: {y[i * outputs + o]}, want {sum}");
            }
        }
    }

    /// <summary>x [s, inputs] times f16 weights stored in a mapped file in the given layout.</summary>
    internal static float[] Product(Half[] w, float[] x, int s, int inputs, int outputs, bool outIn)
    {
        using var dir = new TempDir();
        string path = dir.File("w.bin");
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(w.AsSpan()).ToArray());
        using var file = new MappedFile(path);
        long[] shape = outIn ? [outputs, inputs] : [inputs, outputs];
        var lin = Linear.Single(new TensorInfo("w", DType.F16, shape, file.Region(0, file.Length)), 0, inputs, outputs, outIn);
        var y = new float[s * outputs];
        MatMul.Apply(lin, x, s, y, release: false);
        return y;
    }

    /// <summary>x of 2^15 or more cannot be scaled by 2^112 (it would overflow): the unscaled widening runs instead.</summary>
    [Theory]
    [InlineData(false), InlineData(true)]
    public void LargeInputsTakeTheUnscaledWideningAndStayExact(bool outIn)
    {
        const int inputs = 64, outputs = 48;
        var w = Enumerable.Range(0, inputs * outputs).Select(i => (Half)((i % 11 - 5) * 0.0625f)).ToArray();
        var x = Enumerable.Range(0, inputs).Select(k => k == 7 ? 1e36f : (k % 5) * 3000f).ToArray();
        var y = Product(w, x, 1, inputs, outputs, outIn);
        for (int o = 0; o < outputs; o++)
        {
            double sum = 0;
            for (int k = 0; k < inputs; k++) sum += (double)x[k] * (float)w[outIn ? o * inputs + k : k * outputs + o];
            Assert.True(float.IsFinite(y[o]) && Math.Abs(sum - y[o]) <= 1e-6 * Math.Abs(sum) + 1, $"output {o}: {y[o]}, want {sum}");
        }
    }
}
