using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// One row of x (a decode step), where reading the weights is the whole cost: the stored weights are widened in
/// registers as they are used (<see cref="IVectorLoad"/>), never into a buffer, where the CPU and dtype allow.
/// </summary>
public static partial class MatMul
{
    private const int RowGroup = 4, DotRows = 64;

    /// <summary>
    /// One row x times [in, out] blocks: each task takes a run of inputs, whose weight rows are one contiguous run of
    /// memory, into its own sums over all outputs; the sums are added at the end, in task order.
    /// </summary>
    private static void RowTimesRows(Linear w, float[] x, float[] y)
    {
        int tasks = Math.Clamp(w.In / 64, 1, 4 * Environment.ProcessorCount), per = (w.In + tasks - 1) / tasks;
        var sums = new float[tasks][]; // rented (a decode step runs this for every linear), added in task order
        bool scaled = ScaledF16Load.Takes(x, w.In);
        Parallel.For(0, tasks, t =>
        {
            var acc = sums[t] = System.Buffers.ArrayPool<float>.Shared.Rent(w.Out);
            Array.Clear(acc, 0, w.Out);
            int start = t * per, end = Math.Min(w.In, start + per);
            foreach (var b in w.Blocks)
                if (!RowsInRegisters(b, x, start, end, acc, scaled))
                {
                    Array.Clear(acc, b.OutStart, b.OutCount);
                    RowsThroughBuffer(b, x, start, end, acc);
                }
        });
        var dst = y.AsSpan(0, w.Out);
        sums[0].AsSpan(0, w.Out).CopyTo(dst);
        for (int t = 1; t < tasks; t++) TensorPrimitives.Add(dst, sums[t].AsSpan(0, w.Out), dst);
        foreach (var a in sums) System.Buffers.ArrayPool<float>.Shared.Return(a);
    }

    private static void RowsThroughBuffer(LinearBlock b, float[] x, int start, int end, float[] acc)
    {
        Span<float> row = stackalloc float[Math.Min(VectorTile, b.OutCount)];
        for (int k = start; k < end; k++)
            for (int o = 0; o < b.OutCount; o += row.Length)
            {
                var part = row[..Math.Min(row.Length, b.OutCount - o)];
                b.Tensor.ReadF32(b.Offset + (long)k * b.OutCount + o, part);
                var dst = acc.AsSpan(b.OutStart + o, part.Length);
                TensorPrimitives.FusedMultiplyAdd(part, x[k], dst, dst);
            }
    }

    /// <summary>False where the dtype or CPU has no in-register path, or the exact check failed (acc then dirty).</summary>
    private static bool RowsInRegisters(LinearBlock b, float[] x, int start, int end, float[] acc, bool scaled)
    {
        if (end <= start || !VectorLoads.Takes(b.Tensor.DType)) return end <= start;
        ref byte w = ref VectorLoads.At(b.Tensor, b.Offset + (long)start * b.OutCount, (long)(end - start) * b.OutCount);
        return b.Tensor.DType switch
        {
            DType.F16 when scaled => RowRuns<ScaledF16Load>(ref w, b.OutCount, x, start, end, acc.AsSpan(b.OutStart, b.OutCount)),
            DType.F16 => RowRuns<F16Load>(ref w, b.OutCount, x, start, end, acc.AsSpan(b.OutStart, b.OutCount)),
            DType.BF16 => RowRuns<Bf16Load>(ref w, b.OutCount, x, start, end, acc.AsSpan(b.OutStart, b.OutCount)),
            _ => RowRuns<F32Load>(ref w, b.OutCount, x, start, end, acc.AsSpan(b.OutStart, b.OutCount)),
        };
    }

    /// <summary>acc += x[k] w[k, :] for k in [start, end), four rows per pass over acc; per output the order is k's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // first run in a decode step: no slow tier first
    private static bool RowRuns<L>(ref byte w, int cols, float[] x, int start, int end, Span<float> acc) where L : IVectorLoad
    {
        Vector512<float> seen = default, seen1 = default, seen2 = default, seen3 = default; // one each: no chain across rows
        ref float a = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(acc);
        int n = cols - cols % 16, k = start;
        for (; k + RowGroup <= end; k += RowGroup)
        {
            nuint r0 = (nuint)((long)(k - start) * cols);
            var x0 = Vector512.Create(x[k] * L.XScale); var x1 = Vector512.Create(x[k + 1] * L.XScale);
            var x2 = Vector512.Create(x[k + 2] * L.XScale); var x3 = Vector512.Create(x[k + 3] * L.XScale);
            for (int o = 0; o < n; o += 16)
            {
                nuint oo = (nuint)o;
                var s = Vector512.LoadUnsafe(ref a, oo);
                var (w0, w1, w2, w3) = Four<L>(ref w, r0 + oo, (nuint)cols);
                (seen, seen1, seen2, seen3) = (L.Seen(seen, w0), L.Seen(seen1, w1), L.Seen(seen2, w2), L.Seen(seen3, w3));
                s = Vector512.FusedMultiplyAdd(w1, x1, Vector512.FusedMultiplyAdd(w0, x0, s));
                Vector512.FusedMultiplyAdd(w3, x3, Vector512.FusedMultiplyAdd(w2, x2, s)).StoreUnsafe(ref a, oo);
            }
            for (int o = n; o < cols; o++)
                for (int j = 0; j < RowGroup; j++)
                    acc[o] = MathF.FusedMultiplyAdd(L.One(ref w, r0 + (nuint)(j * cols + o)), x[k + j], acc[o]);
        }
        for (; k < end; k++)
        {
            nuint r = (nuint)((long)(k - start) * cols);
            var xk = Vector512.Create(x[k] * L.XScale);
            for (int o = 0; o < n; o += 16)
            {
                nuint oo = (nuint)o;
                var wk = L.Load(ref w, r + oo);
                seen = L.Seen(seen, wk);
                Vector512.FusedMultiplyAdd(wk, xk, Vector512.LoadUnsafe(ref a, oo)).StoreUnsafe(ref a, oo);
            }
            for (int o = n; o < cols; o++) acc[o] = MathF.FusedMultiplyAdd(L.One(ref w, r + (nuint)o), x[k], acc[o]);
        }
        return L.Exact(Vector512.Max(Vector512.Max(seen, seen1), Vector512.Max(seen2, seen3)));
    }

    /// <summary>One row x times [out, in] blocks: dot products, 64 weight rows a task, read in place.</summary>
    private static void RowDots(Linear w, float[] x, float[] y, bool release)
    {
        var chunks = w.Blocks.SelectMany(b => Enumerable.Range(0, (b.OutCount + DotRows - 1) / DotRows).Select(c => (b, c * DotRows)))
            .ToArray();
        bool scaled = ScaledF16Load.Takes(x, w.In);
        Parallel.For(0, chunks.Length, c =>
        {
            var (b, start) = chunks[c];
            int rows = Math.Min(DotRows, b.OutCount - start), es = b.Tensor.DType.Size();
            long at = b.Offset + (long)start * w.In;
            var dst = y.AsSpan(b.OutStart + start, rows);
            ref byte m = ref VectorLoads.At(b.Tensor, at, (long)rows * w.In);
            bool exact = b.Tensor.DType switch
            {
                DType.F16 when scaled => Dots<ScaledF16Load>(ref m, w.In, x, dst),
                DType.F16 => Dots<F16Load>(ref m, w.In, x, dst),
                DType.BF16 => Dots<Bf16Load>(ref m, w.In, x, dst),
                _ => Dots<F32Load>(ref m, w.In, x, dst),
            };
            if (!exact) DotsThroughBuffer(b.Tensor, at, w.In, x, dst);
            if (release) b.Tensor.Data.Release(at * es, (long)rows * w.In * es);
        });
    }

    private static void DotsThroughBuffer(TensorInfo t, long at, int n, float[] x, Span<float> dst)
    {
        var row = new float[n];
        for (int r = 0; r < dst.Length; r++)
        {
            t.ReadF32(at + (long)r * n, row);
            dst[r] = TensorPrimitives.Dot(x.AsSpan(0, n), row);
        }
    }

    /// <summary>dst[r] = x . w[r, :], four rows at a time, each with its own sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // first run in a decode step: no slow tier first
    private static bool Dots<L>(ref byte w, int n, float[] x, Span<float> dst) where L : IVectorLoad
    {
        Vector512<float> seen = default, seen1 = default, seen2 = default, seen3 = default; // one each: no chain across rows
        ref float xr = ref x[0];
        int full = n - n % 16, r = 0;
        for (; r + RowGroup <= dst.Length; r += RowGroup)
        {
            nuint r0 = (nuint)((long)r * n), r1 = r0 + (nuint)n, r2 = r1 + (nuint)n, r3 = r2 + (nuint)n;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int k = 0; k < full; k += 16)
            {
                nuint kk = (nuint)k;
                var xv = Vector512.LoadUnsafe(ref xr, kk) * L.XScale;
                var (w0, w1, w2, w3) = Four<L>(ref w, r0 + kk, (nuint)n);
                (seen, seen1, seen2, seen3) = (L.Seen(seen, w0), L.Seen(seen1, w1), L.Seen(seen2, w2), L.Seen(seen3, w3));
                a0 = Vector512.FusedMultiplyAdd(w0, xv, a0);
                a1 = Vector512.FusedMultiplyAdd(w1, xv, a1);
                a2 = Vector512.FusedMultiplyAdd(w2, xv, a2);
                a3 = Vector512.FusedMultiplyAdd(w3, xv, a3);
            }
            dst[r] = Tail<L>(ref w, r0, n, full, x, Vector512.Sum(a0));
            dst[r + 1] = Tail<L>(ref w, r1, n, full, x, Vector512.Sum(a1));
            dst[r + 2] = Tail<L>(ref w, r2, n, full, x, Vector512.Sum(a2));
            dst[r + 3] = Tail<L>(ref w, r3, n, full, x, Vector512.Sum(a3));
        }
        for (; r < dst.Length; r++)
        {
            nuint r0 = (nuint)((long)r * n);
            Vector512<float> a0 = default;
            for (int k = 0; k < full; k += 16)
            {
                var wk = L.Load(ref w, r0 + (nuint)k);
                seen = L.Seen(seen, wk);
                a0 = Vector512.FusedMultiplyAdd(wk, Vector512.LoadUnsafe(ref xr, (nuint)k) * L.XScale, a0);
            }
            dst[r] = Tail<L>(ref w, r0, n, full, x, Vector512.Sum(a0));
        }
        return L.Exact(Vector512.Max(Vector512.Max(seen, seen1), Vector512.Max(seen2, seen3)));
    }

    /// <summary>The vectors at the same place of four rows; the next four rows' cache lines there are asked for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Four<L>(ref byte w, nuint at,
        nuint stride) where L : IVectorLoad
    {
        VectorLoads.PrefetchRows<L>(ref w, at + 4 * stride, stride);
        return (L.Load(ref w, at), L.Load(ref w, at + stride), L.Load(ref w, at + 2 * stride), L.Load(ref w, at + 3 * stride));
    }

    private static float Tail<L>(ref byte w, nuint row, int n, int from, float[] x, float sum) where L : IVectorLoad
    {
        for (int k = from; k < n; k++) sum = MathF.FusedMultiplyAdd(L.One(ref w, row + (nuint)k), x[k], sum);
        return sum;
    }
}
