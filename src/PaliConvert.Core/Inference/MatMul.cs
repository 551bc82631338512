using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// y[S, Out] = x[S, In] W. Weights are widened to float32 in tiles of 32 outputs x In (whatever their dtype and
/// layout), then a 4x4 register-blocked kernel computes dot products with 256-bit vectors; tiles run in parallel.
/// Memory is one tile per thread: weights are never copied whole.
/// </summary>
public static class MatMul
{
    private const int TileOut = 32;

    public static void Apply(Linear w, float[] x, int s, float[] y)
    {
        if (x.Length < s * w.In || y.Length < s * w.Out) throw new ArgumentException("buffers too small");
        var tiles = new List<(LinearBlock block, int start, int count)>();
        foreach (var b in w.Blocks)
            for (int o = 0; o < b.OutCount; o += TileOut) tiles.Add((b, o, Math.Min(TileOut, b.OutCount - o)));
        Parallel.For(0, tiles.Count, t =>
        {
            var buf = TileBuffer(TileOut * w.In);
            var (block, start, count) = tiles[t];
            LoadTile(block, w.In, start, count, buf);
            Kernel(x, s, w.In, buf, count, y, w.Out, block.OutStart + start);
        });
        if (w.Bias != null)
            for (int i = 0; i < s; i++) System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan(i * w.Out, w.Out), w.Bias, y.AsSpan(i * w.Out, w.Out));
    }

    [ThreadStatic] private static float[]? _tile;

    /// <summary>One tile buffer per thread, kept: fresh ones per call would pile up on the large object heap.</summary>
    private static float[] TileBuffer(int length) => _tile is { } b && b.Length >= length ? b : _tile = new float[length];

    /// <summary>Outputs [start, start+count) of a block as rows of In floats.</summary>
    private static void LoadTile(LinearBlock b, int inputs, int start, int count, float[] buf)
    {
        if (b.OutIn)
        {
            long at = b.Offset + (long)start * inputs;
            b.Tensor.ReadF32(at, buf.AsSpan(0, count * inputs));
            int es = b.Tensor.DType.Size();
            b.Tensor.Data.Release(at * es, (long)count * inputs * es); // rows are used once: a 1 GB embedding need not stay resident
            return;
        }
        Span<float> row = stackalloc float[TileOut];
        for (int i = 0; i < inputs; i++)
        {
            b.Tensor.ReadF32(b.Offset + (long)i * b.OutCount + start, row[..count]);
            for (int o = 0; o < count; o++) buf[o * inputs + i] = row[o];
        }
    }

    private static void Kernel(float[] x, int s, int n, float[] w, int rows, float[] y, int yStride, int yCol)
    {
        int i = 0;
        for (; i + 4 <= s; i += 4)
        {
            int o = 0;
            for (; o + 4 <= rows; o += 4) Block4x4(x, i, n, w, o, y, yStride, yCol);
            for (; o < rows; o++)
                for (int k = 0; k < 4; k++) y[(i + k) * yStride + yCol + o] = Dot(x.AsSpan((i + k) * n, n), w.AsSpan(o * n, n));
        }
        for (; i < s; i++)
            for (int o = 0; o < rows; o++) y[i * yStride + yCol + o] = Dot(x.AsSpan(i * n, n), w.AsSpan(o * n, n));
    }

    private static void Block4x4(float[] x, int i, int n, float[] w, int o, float[] y, int yStride, int yCol)
    {
        var acc = new Vector256<float>[16];
        int k = 0;
        ref float xr = ref x[0];
        ref float wr = ref w[0];
        for (; k + 8 <= n; k += 8)
        {
            var x0 = Vector256.LoadUnsafe(ref xr, (nuint)(i * n + k));
            var x1 = Vector256.LoadUnsafe(ref xr, (nuint)((i + 1) * n + k));
            var x2 = Vector256.LoadUnsafe(ref xr, (nuint)((i + 2) * n + k));
            var x3 = Vector256.LoadUnsafe(ref xr, (nuint)((i + 3) * n + k));
            for (int r = 0; r < 4; r++)
            {
                var wv = Vector256.LoadUnsafe(ref wr, (nuint)((o + r) * n + k));
                acc[r] = Fma256(x0, wv, acc[r]);
                acc[4 + r] = Fma256(x1, wv, acc[4 + r]);
                acc[8 + r] = Fma256(x2, wv, acc[8 + r]);
                acc[12 + r] = Fma256(x3, wv, acc[12 + r]);
            }
        }
        for (int a = 0; a < 4; a++)
            for (int r = 0; r < 4; r++)
            {
                float sum = Vector256.Sum(acc[a * 4 + r]);
                for (int kk = k; kk < n; kk++) sum += x[(i + a) * n + kk] * w[(o + r) * n + kk];
                y[(i + a) * yStride + yCol + o + r] = sum;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma256(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
