using System.Runtime.InteropServices;
using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Inference;

/// <summary>
/// MatMul against a plain triple loop in double over the same widened weights, for both storage layouts, each float
/// dtype, a bias, and shapes that leave remainders in every kernel (rows not a multiple of 4 or 6, or fewer than a
/// packed block; outputs not a multiple of 16 or 32, inputs not a multiple of 8), and 2,000 inputs of [in, out]
/// weights: seven slabs, so the slab queue (SlabPipeline) reuses its three buffers; [out, in] panels read whole
/// (600 inputs) and, past 2 MB (256 x 8,300 f32), widened from the map.
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
        InlineData(30, 300, 1152, true, DType.F16), InlineData(16, 64, 9000, true, DType.BF16),
        InlineData(40, 2000, 700, false, DType.F16), InlineData(40, 600, 200, true, DType.BF16),
        InlineData(32, 8300, 2048, true, DType.F32), InlineData(9, 2501, 71, true, DType.F16), InlineData(3, 21, 40, false, DType.F32),
        InlineData(5, 300, 70, false, DType.BF16), InlineData(40, 1500, 100, true, DType.F16),
        InlineData(40, 1027, 48, true, DType.BF16)]
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

    /// <summary>
    /// A linear made of several [in, out] blocks, as big_vision's Gemma query is (one block per head, [heads, in, h]),
    /// here from two files of different dtypes, against the same triple loop: the slabs hold every block's rows and
    /// their panels span the blocks; 300 inputs give two input blocks, the second partial.
    /// </summary>
    [Theory]
    [InlineData(30, 300, 5, 40), InlineData(272, 300, 8, 64), InlineData(1, 300, 3, 40), InlineData(13, 40, 2, 100)]
    public void ManyInOutBlocksEqualATripleLoopInDouble(int s, int inputs, int heads, int h)
    {
        var rng = new Random(s + heads * h);
        var x = Enumerable.Range(0, s * inputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var dir = new TempDir();
        var files = new List<MappedFile>();
        var blocks = new List<LinearBlock>();
        var w = new float[heads][];
        try
        {
            foreach (var (dtype, first, count) in new[] { (DType.F16, 0, heads / 2), (DType.F32, heads / 2, heads - heads / 2) })
            {
                var values = Enumerable.Range(0, count * inputs * h).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
                var bytes = new byte[values.Length * dtype.Size()];
                FloatConvert.FromF32(dtype, values, bytes);
                FloatConvert.ToF32(dtype, bytes, values);
                string path = dir.File($"w{first}.bin");
                File.WriteAllBytes(path, bytes);
                var file = new MappedFile(path);
                files.Add(file);
                var t = new TensorInfo("w", dtype, [count, inputs, h], file.Region(0, file.Length));
                for (int j = 0; j < count; j++)
                {
                    blocks.Add(new LinearBlock(t, (long)j * inputs * h, false, (first + j) * h, h));
                    w[first + j] = values.AsSpan(j * inputs * h, inputs * h).ToArray();
                }
            }
            var y = new float[s * heads * h];
            MatMul.Apply(new Linear(inputs, heads * h, blocks.ToArray()), x, s, y);
            double worst = 0;
            for (int i = 0; i < s; i++)
                for (int o = 0; o < heads * h; o++)
                {
                    double sum = 0;
                    for (int k = 0; k < inputs; k++) sum += (double)x[i * inputs + k] * w[o / h][k * h + o % h];
                    worst = Math.Max(worst, Math.Abs(sum - y[i * heads * h + o]));
                }
            Assert.True(worst <= 1e-5 * Math.Sqrt(inputs) * 4, $"max |diff| {worst}");
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }

    /// <summary>A weight stored as integers is refused on every path (slabs, panels, tiles, one row), naming the file and
    /// the tensor, not converted or failed on as a bug.</summary>
    [Theory]
    [InlineData(1, false), InlineData(1, true), InlineData(16, true), InlineData(40, false), InlineData(40, true)]
    public void AnIntegerWeightIsRefusedNamingFileAndTensor(int s, bool outIn)
    {
        using var dir = new TempDir();
        string path = dir.File("w.bin");
        File.WriteAllBytes(path, new byte[64 * 48 * 4]);
        using var file = new MappedFile(path);
        long[] shape = outIn ? [48, 64] : [64, 48];
        var lin = Linear.Single(new TensorInfo("llm/layers/mlp/w", DType.I32, shape, file.Region(0, file.Length)), 0, 64, 48, outIn);
        var e = Assert.Throws<BadInputException>(() => MatMul.Apply(lin, new float[s * 64], s, new float[s * 48]));
        Assert.Contains(path, e.Message);
        Assert.Contains("'llm/layers/mlp/w' is", e.Message);
    }
}
