using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Inference;

/// <summary>Linears side by side (a vision layer's query, key and value as one product) give what each gives apart, bit
/// for bit at these sizes (the same input blocks either way).</summary>
public class LinearTests
{
    [Theory]
    [InlineData(false, 256), InlineData(true, 256), InlineData(false, 5), InlineData(true, 40)]
    public void ConcatenatedLinearsEqualEachRunApart(bool outIn, int rows)
    {
        const int inputs = 300;
        int[] outs = [96, 40, 200];
        var rng = new Random(rows + (outIn ? 1 : 0));
        using var dir = new TempDir();
        var files = new List<MappedFile>();
        try
        {
            var parts = outs.Select((o, i) =>
            {
                var bytes = new byte[inputs * o * 4];
                var w = Enumerable.Range(0, inputs * o).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
                FloatConvert.FromF32(DType.F32, w, bytes);
                File.WriteAllBytes(dir.File($"w{i}.bin"), bytes);
                var file = new MappedFile(dir.File($"w{i}.bin"));
                files.Add(file);
                long[] shape = outIn ? [o, inputs] : [inputs, o];
                float[]? bias = i == 1 ? null : Enumerable.Range(0, o).Select(_ => (float)rng.NextDouble()).ToArray();
                return Linear.Single(new TensorInfo("w", DType.F32, shape, file.Region(0, file.Length)), 0, inputs, o, outIn, bias);
            }).ToArray();
            var x = Enumerable.Range(0, rows * inputs).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            var fused = Linear.Concat(parts)!;
            Assert.Equal(outs.Sum(), fused.Out);
            var all = new float[rows * fused.Out];
            MatMul.Apply(fused, x, rows, all, release: false);
            for (int p = 0, at = 0; p < parts.Length; at += outs[p], p++)
            {
                var apart = new float[rows * outs[p]];
                MatMul.Apply(parts[p], x, rows, apart, release: false);
                for (int i = 0; i < rows; i++)
                    Assert.Equal(apart.AsSpan(i * outs[p], outs[p]).ToArray(), all.AsSpan(i * fused.Out + at, outs[p]).ToArray());
            }
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }
}
