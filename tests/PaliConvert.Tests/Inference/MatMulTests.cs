using System.Runtime.InteropServices;
using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Inference;

/// <summary>
/// MatMul against a plain triple loop in double over the same widened weights, for both storage layouts, each float
/// dtype, a bias, and shapes that leave remainders in every kernel (rows not a multiple of 4 or 6, outputs not a
/// multiple of 16 or 32, inputs not a multiple of 8).
/// </summary>
public class MatMulTests
{
    [Theory]
    [InlineData(1, 3, 5, false, DType.F32), InlineData(7, 19, 37, false, DType.F32), InlineData(13, 64, 300, false, DType.BF16),
        InlineData(272, 96, 1000, false, DType.F16), InlineData(6, 16, 16, false, DType.F32), InlineData(7, 19, 37, true, DType.F32),
        InlineData(13, 64, 300, true, DType.BF16), InlineData(272, 96, 1000, true, DType.F16),
        InlineData(33, 19, 37, true, DType.F32),
        InlineData(37, 600, 50, false, DType.F32), InlineData(24, 300, 64, true, DType.F32), InlineData(1, 64, 3000, false, DType.F16),
        InlineData(1, 96, 1000, false, DType.BF16), InlineData(12, 40, 33, true, DType.F16), InlineData(25, 300, 100, true, DType.F16),
        InlineData(1, 300, 70, true, DType.F16), InlineData(40, 520, 48, false, DType.F32),
        InlineData(1, 700, 300, false, DType.F16), InlineData(30, 520, 1152, false, DType.F32),
        InlineData(30, 300, 1152, true, DType.F16), InlineData(16, 64, 9000, true, DType.BF16)]
    public void EqualsATripleLoopInDouble(int s, int inputs, int outputs, bool outIn, DType dtype)
    {
        Check(s, inputs, outputs, outIn, dtype, wide: true); // the 512-bit kernel where this CPU has AVX-512
        Check(s, inputs, outputs, outIn, dtype, wide: false);
    }

    private static void Check(int s, int inputs, int outputs, bool outIn, DType dtype, bool wide)
    {
        var rng = new Random(s * 1000 + outputs);
        var x = Enumerable.Range(0, s * inputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, inputs * outputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var bias = Enumerable.Range(0, outputs).Select(_ => (float)rng.NextDouble()).ToArray();
        var bytes = new byte[w.Length * dtype.Size()];
        FloatConvert.FromF32(dtype, w, bytes);
        FloatConvert.ToF32(dtype, bytes, w); // the stored values, as the kernel reads them
        using var dir = new TempDir();
        string path = dir.File("w.bin");
        File.WriteAllBytes(path, bytes);
        using var file = new MappedFile(path);
        long[] shape = outIn ? [outputs, inputs] : [inputs, outputs];
        var lin = Linear.Single(new TensorInfo("w", dtype, shape, file.Region(0, file.Length)), 0, inputs, outputs, outIn, bias);
        var y = new float[s * outputs];
        MatMul.Apply(lin, x, s, y, wide: wide);
        double worst = 0;
        for (int i = 0; i < s; i++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (int k = 0; k < inputs; k++) sum += (double)x[i * inputs + k] * w[outIn ? o * inputs + k : k * outputs + o];
                worst = Math.Max(worst, Math.Abs(sum - y[i * outputs + o]));
            }
        Assert.True(worst <= 1e-5 * Math.Sqrt(inputs) * 4, $"wide {wide}: max |diff| {worst}");
    }
}
