using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// y[S, Out] = x[S, In] W. Weights go through panels (MatMul.Panel.cs): [in, out] ones read an input block of rows at
/// a time into a slab (MatMul.Slab.cs); [out, in] ones against few rows (the 16 text rows' logits) are read in tiles
/// of 32 outputs x In, whose rows are contiguous already, and a 4x4 register-blocked kernel (4x3 without AVX-512:
/// MatMul.Dots.cs) computes dot products; one row (a decode step, MatMul.Row.cs) reads its weights in place, widened
/// in registers, [in, out] as runs of whole rows into partial sums, [out, in] as dot products. Tiles run in parallel.
/// Memory is a tile or slab per thread: weights are never copied whole.
/// </summary>
public static partial class MatMul
{
    private const int TileOut = 32, PanelRowsMin = 32, VectorTile = 1024;

    /// <summary>y = x W; <paramref name="release"/>: drop the weight pages an [out, in] tile used (a single pass reads
    /// each weight once), which a decode loop, reading them every step, does not want;
    /// <paramref name="wide"/>: the 512-bit panel kernel where the CPU has AVX-512 (false: the 256-bit one).</summary>
    public static void Apply(Linear w, float[] x, int s, float[] y, bool release = true, bool wide = true)
    {
        if (x.Length < s * w.In || y.Length < s * w.Out) throw new ArgumentException("buffers too small");
        foreach (var b in w.Blocks) b.Tensor.RequireFloat(); // every path below widens floats, none checks alone
        if (w.Lora != null)
        {
            Apply(w with { Lora = null, Bias = null }, x, s, y, release, wide);
            w.Lora.AddTo(x, s, w.In, w.Out, y);
            AddBias(w, s, y);
            return;
        }
        bool dots = s < PanelRowsMin;
        if (s == 1 && w.Blocks.All(b => !b.OutIn))
        {
            RowTimesRows(w, x, y);
            AddBias(w, s, y);
            return;
        }
        if (s == 1 && w.Blocks.All(b => b.OutIn && VectorLoads.Takes(b.Tensor.DType)))
        {
            RowDots(w, x, y, release);
            AddBias(w, s, y);
            return;
        }
        var slabs = w.Blocks.Where(b => !b.OutIn).ToList();
        var tiles = new List<(LinearBlock block, int start, int count)>();
        foreach (var b in w.Blocks.Except(slabs))
        {
            int step = b.OutIn && dots ? DotsWidth(b.OutCount) : PanelWidth(b.OutCount);
            for (int o = 0; o < b.OutCount; o += step) tiles.Add((b, o, Math.Min(step, b.OutCount - o)));
        }
        var xp = slabs.Count > 0 || tiles.Any(t => !(t.block.OutIn && dots)) ? PackRows(x, s, w.In, wide) : default;
        if (slabs.Count > 0) Slabs(slabs, xp, s, w.In, y, w.Out);
        Parallel.For(0, tiles.Count, Workers, t =>
        {
            var buf = TileBuffer(Math.Max(PanelMax * SlabRowsMax, TileOut * w.In)); // a tile of 32 outputs, or a panel
            var (block, start, count) = tiles[t];
            if (block.OutIn && dots)
            {
                Dots(block, x, s, w.In, start, count, buf, y, w.Out, wide);
                return;
            }
            Panel(block, xp, s, w.In, start, count, buf, y, w.Out, release);
        });
        if (xp.Data != null) System.Buffers.ArrayPool<float>.Shared.Return(xp.Data);
        AddBias(w, s, y);
    }

    /// <summary>One worker per core: the pool ran more at once at times, each with a tile's or a panel's buffers.</summary>
    private static readonly ParallelOptions Workers = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    private static void AddBias(Linear w, int s, float[] y)
    {
        if (w.Bias != null)
            for (int i = 0; i < s; i++) System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan(i * w.Out, w.Out), w.Bias,
                y.AsSpan(i * w.Out, w.Out));
    }

    [ThreadStatic] private static float[]? _tile;

    /// <summary>One tile buffer per thread, kept: fresh ones per call would pile up on the large object heap.</summary>
    private static float[] TileBuffer(int length) => _tile is { } b && b.Length >= length ? b : _tile = new float[length];

    /// <summary>Outputs a dot-product item covers: up to 1,024 (about four items per core), in whole tiles.</summary>
    private static int DotsWidth(int outputs) =>
        Math.Clamp(outputs / (4 * Environment.ProcessorCount) / TileOut * TileOut, TileOut, 1024);

    /// <summary>
    /// Outputs [start, start+count) of an [out, in] block against few rows, a tile of 32 rows of In at a time: its
    /// bytes read (not mapped: <see cref="MappedFile.Read"/>) into a buffer that stays in L2, then widened as one run.
    /// </summary>
    private static void Dots(LinearBlock b, float[] x, int s, int n, int start, int count, float[] buf, float[] y, int yStride,
        bool wide)
    {
        int es = b.Tensor.DType.Size();
        var bytes = ByteBuffer(TileOut * n * es);
        for (int o = start; o < start + count; o += TileOut)
        {
            int rows = Math.Min(TileOut, start + count - o);
            var raw = bytes.AsSpan(0, rows * n * es);
            b.Tensor.Data.Read((b.Offset + (long)o * n) * es, raw);
            Widen(b.Tensor.DType, raw, buf.AsSpan(0, rows * n));
            if (Wide(wide)) Kernel(x, s, n, buf, rows, y, yStride, b.OutStart + o);
            else Kernel256(x, s, n, buf, rows, y, yStride, b.OutStart + o);
        }
    }

    [ThreadStatic] private static byte[]? _bytes;

    private static byte[] ByteBuffer(int length) => _bytes is { } b && b.Length >= length ? b : _bytes = new byte[length];

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

    /// <summary>4 rows of x by 4 weight rows: 16 accumulators kept in registers (locals, not an array); optimized at
    /// once: the tied logits run it from cold, and its first tier called Fma256 rather than inlining it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x4(float[] x, int i, int n, float[] w, int o, float[] y, int yStride, int yCol)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default,
            a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default,
            a33 = default;
        ref float xr = ref x[0];
        ref float wr = ref w[0];
        nuint x0i = (nuint)(i * n), x1i = x0i + (nuint)n, x2i = x1i + (nuint)n, x3i = x2i + (nuint)n;
        nuint w0i = (nuint)(o * n), w1i = w0i + (nuint)n, w2i = w1i + (nuint)n, w3i = w2i + (nuint)n;
        int k = 0;
        for (; k + 8 <= n; k += 8)
        {
            nuint kk = (nuint)k;
            var w0 = Vector256.LoadUnsafe(ref wr, w0i + kk);
            var w1 = Vector256.LoadUnsafe(ref wr, w1i + kk);
            var w2 = Vector256.LoadUnsafe(ref wr, w2i + kk);
            var w3 = Vector256.LoadUnsafe(ref wr, w3i + kk);
            var x0 = Vector256.LoadUnsafe(ref xr, x0i + kk);
            a00 = Fma256(x0, w0, a00); a01 = Fma256(x0, w1, a01); a02 = Fma256(x0, w2, a02); a03 = Fma256(x0, w3, a03);
            var x1 = Vector256.LoadUnsafe(ref xr, x1i + kk);
            a10 = Fma256(x1, w0, a10); a11 = Fma256(x1, w1, a11); a12 = Fma256(x1, w2, a12); a13 = Fma256(x1, w3, a13);
            var x2 = Vector256.LoadUnsafe(ref xr, x2i + kk);
            a20 = Fma256(x2, w0, a20); a21 = Fma256(x2, w1, a21); a22 = Fma256(x2, w2, a22); a23 = Fma256(x2, w3, a23);
            var x3 = Vector256.LoadUnsafe(ref xr, x3i + kk);
            a30 = Fma256(x3, w0, a30); a31 = Fma256(x3, w1, a31); a32 = Fma256(x3, w2, a32); a33 = Fma256(x3, w3, a33);
        }
        Span<float> sums =
        [
            Vector256.Sum(a00), Vector256.Sum(a01), Vector256.Sum(a02), Vector256.Sum(a03),
            Vector256.Sum(a10), Vector256.Sum(a11), Vector256.Sum(a12), Vector256.Sum(a13),
            Vector256.Sum(a20), Vector256.Sum(a21), Vector256.Sum(a22), Vector256.Sum(a23),
            Vector256.Sum(a30), Vector256.Sum(a31), Vector256.Sum(a32), Vector256.Sum(a33),
        ];
        for (int a = 0; a < 4; a++)
            for (int r = 0; r < 4; r++)
            {
                float sum = sums[a * 4 + r];
                for (int t = k; t < n; t++) sum += x[(i + a) * n + t] * w[(o + r) * n + t];
                y[(i + a) * yStride + yCol + o + r] = sum;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma256(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
