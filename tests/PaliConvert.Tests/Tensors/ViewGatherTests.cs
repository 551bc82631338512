using PaliConvert.Tensors;

namespace PaliConvert.Tests.Tensors;

/// <summary>
/// The transposing gather against an element-by-element transpose, for 16-bit values (the vectorized 8 x 8 blocks
/// on full 64 x 64 tiles, the scalar loop on the edges), 32-bit values, and shapes with partial tiles; the last two
/// are large enough to go to the cores in parallel: by rows of tiles (a source that stays in cache), and by columns
/// of tiles over several blocks of rows (a larger one).
/// </summary>
public class ViewGatherTests
{
    [Theory]
    [InlineData(DType.BF16, 64, 64), InlineData(DType.BF16, 200, 300), InlineData(DType.F16, 129, 257), InlineData(DType.BF16, 3, 70),
        InlineData(DType.F32, 130, 70), InlineData(DType.F16, 300, 1000), InlineData(DType.BF16, 20000, 300)]
    public void ATransposedViewComesOutTransposed(DType dtype, int rows, int cols)
    {
        int es = dtype.Size();
        var bytes = new byte[rows * cols * es];
        new Random(rows * cols).NextBytes(bytes);
        using var dir = new TempDir();
        string path = dir.File("m.bin");
        File.WriteAllBytes(path, bytes);
        using var file = new MappedFile(path);
        var view = TensorView.Of(new TensorInfo("m", dtype, [rows, cols], file.Region(0, file.Length))).Transposed();
        using var output = new MemoryStream();
        new ViewGather().Write(view, dtype, output);
        var got = output.ToArray();
        Assert.Equal(bytes.Length, got.Length);
        for (int c = 0; c < cols; c++)
            for (int r = 0; r < rows; r++)
                for (int b = 0; b < es; b++)
                    if (got[(c * rows + r) * es + b] != bytes[(r * cols + c) * es + b])
                        Assert.Fail($"output [{c}, {r}] byte {b} is not input [{r}, {c}]'s");
    }
}
