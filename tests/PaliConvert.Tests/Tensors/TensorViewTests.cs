using PaliConvert.Mapping;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Tensors;

/// <summary>Views gathered through ViewGather against a plain index computation (what numpy would give).</summary>
public class TensorViewTests
{
    private static (TensorInfo t, TempDir dir, NpzCheckpointHolder h) Tensor(long[] shape)
    {
        var dir = new TempDir();
        int n = (int)Shape.Elements(shape);
        var values = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        var dims = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        NpzBytes.Stored(dir.File("t.npz"), false,
            ("x.npy", NpzBytes.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}", NpzBytes.Floats(values))));
        var h = new NpzCheckpointHolder(PaliConvert.Formats.Npz.NpzCheckpoint.Open(dir.File("t.npz")));
        return (h.Ck.Get("x"), dir, h);
    }

    public sealed record NpzCheckpointHolder(PaliConvert.Formats.Npz.NpzCheckpoint Ck) : IDisposable
    {
        public void Dispose() => Ck.Dispose();
    }

    private static float[] Gather(TensorView v)
    {
        using var ms = new MemoryStream();
        new ViewGather().Write(v, DType.F32, ms);
        var b = ms.ToArray();
        return Enumerable.Range(0, b.Length / 4).Select(i => BitConverter.ToSingle(b, 4 * i)).ToArray();
    }

    [Fact]
    public void TransposeThenMergeMatchesIndexArithmetic()
    {
        // q_einsum per layer: (N, W, H) -> transpose (0, 2, 1) -> (N, H, W) -> reshape (N*H, W)
        var (t, dir, h) = Tensor([3, 70, 5]);
        using var _d = dir; using var _h = h;
        var v = TensorView.Of(t).Transpose([0, 2, 1]).Reshape([15, 70]);
        Assert.Equal([15L, 70L], v.OutputShape);
        var got = Gather(v);
        for (int n = 0; n < 3; n++) for (int hh = 0; hh < 5; hh++) for (int w = 0; w < 70; w++)
            Assert.Equal(n * 70 * 5 + w * 5 + hh, got[(n * 5 + hh) * 70 + w]);
    }

    [Fact]
    public void LargeTransposeCrossesTileEdges()
    {
        var (t, dir, h) = Tensor([130, 67]);
        using var _d = dir; using var _h = h;
        var got = Gather(TensorView.Of(t).Transpose([1, 0]));
        for (int r = 0; r < 67; r++) for (int c = 0; c < 130; c++) Assert.Equal(c * 67 + r, got[r * 130 + c]);
    }

    [Fact]
    public void SplitAndMergeReshapesAreViews()
    {
        var (t, dir, h) = Tensor([2, 6, 4]);
        using var _d = dir; using var _h = h;
        var v = TensorView.Of(t).Take(1, "x").Reshape([2, 3, 4]).Transpose([2, 0, 1]).Reshape([4, 6]);
        var got = Gather(v);
        for (int a = 0; a < 4; a++) for (int b = 0; b < 6; b++) Assert.Equal(24 + b * 4 + a, got[a * 6 + b]);
    }

    [Fact]
    public void PaddedRowsHoldTheMeanRow()
    {
        var (t, dir, h) = Tensor([3, 4]);
        using var _d = dir; using var _h = h;
        var got = Gather(TensorView.Of(t) with { PadRowsTo = 5 });
        Assert.Equal(20, got.Length);
        Assert.Equal([4f, 5, 6, 7, 4, 5, 6, 7], got[12..]);
    }

    [Fact]
    public void TheMeanRowOfManyBlocksOfRowsCountsEachRowOnce()
    {
        // 10,001 rows: two whole blocks of 4,096 summed on their own and a part block; value i = row * 3 + col, so the
        // mean of column c is 3 * 5,000 + c exactly: a block summed twice or left out moves it by whole units
        var (t, dir, h) = Tensor([10_001, 3]);
        using var _d = dir; using var _h = h;
        var got = Gather(TensorView.Of(t) with { PadRowsTo = 10_003 });
        Assert.Equal(10_003 * 3, got.Length);
        Assert.Equal([15_000f, 15_001, 15_002, 15_000, 15_001, 15_002], got[(10_001 * 3)..]);
    }
}
