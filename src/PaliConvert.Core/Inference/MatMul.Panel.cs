using PaliConvert.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PaliConvert.Inference;

/// <summary>
/// A panel of up to 256 outputs is widened into groups of 16 columns, each group's [In, 16] slice contiguous (zeros
/// past the last output): from weights stored [inputs, outputs] (big_vision's kernels) row by row, each row a
/// contiguous run; from [outputs, inputs] (Hugging Face's) 16 output rows at a time, interleaved. A 6 x 16 kernel
/// broadcasts one x value against the two vectors of a slice row: 12 accumulators, 2 loads and 6 broadcasts per 12
/// FMAs, all in the 16 AVX registers. Inputs go in blocks of 256, so a slice block (16 KB) stays in L1 across all
/// row blocks and the x block in L2 across all groups.
/// </summary>
public static partial class MatMul
{
    private const int PanelMax = 256, Rows = 6, Cols = 16;
    internal const int KBlock = 256;

    /// <summary>
    /// Panel width: the widest multiple of 32 up to 256 that gives every core about four panels (which one finishes
    /// first varies) and shares them out within 3 % of an even split (1,152 outputs as 160-wide panels left one core a
    /// fifth more work than the other).
    /// </summary>
    private static int PanelWidth(int outputs)
    {
        int pairs = (outputs + 31) / 32, cores = Environment.ProcessorCount;
        double even = Math.Ceiling(pairs / (double)cores);
        for (int w = Math.Min(PanelMax / 32, pairs / (4 * cores)); w > 1; w--)
            if (Math.Ceiling(Math.Ceiling(pairs / (double)w) / cores) * w <= even * 1.03) return w * 32;
        return 32;
    }

    [ThreadStatic] private static float[]? _rows;

    /// <summary>A panel's rows read whole at most: an [out, in] panel's outputs are one contiguous run of the file.</summary>
    private const int PanelReadMax = 2 << 20;

    /// <summary>
    /// Outputs [start, start+count) of a block, one input block at a time (a k-block panel, 256 KB, stays in L2);
    /// xp: x packed for the 512-bit kernel, or null. The panel's rows are read (not mapped: bench/README.md, "Reading
    /// the weights") into a per-thread buffer first where they fit in 2 MB (a 3B's gate, up and attention panels;
    /// 8 MB buffers, kept by each pool thread that ran panels, cost 35 MB at peak), else widened from the map with the
    /// next block's rows prefetched.
    /// </summary>
    private static void Panel(LinearBlock b, float[] x, float[]? xp, int s, int n, int start, int count, float[] p, float[] y,
        int yStride, bool release)
    {
        int es = b.Tensor.DType.Size();
        long bytes = (long)count * n * es, at = (b.Offset + (long)start * n) * es;
        var read = bytes <= PanelReadMax ? ByteBuffer((int)bytes) : null; // per thread, kept: one per core runs panels
        if (read != null) b.Tensor.Data.Read(at, read.AsSpan(0, (int)bytes));
        for (int kb = 0; kb < n; kb += KBlock)
        {
            int kLen = Math.Min(KBlock, n - kb);
            LoadPanel(b.Tensor.DType, read != null ? read.AsSpan(0, (int)bytes) : b.Tensor.Data.Span(at, checked((int)bytes)), n, kb,
                kLen, count, p);
            var ahead = read != null ? default : PanelAhead.Of(b, n, kb + KBlock, start, count);
            if (xp != null) PanelKernel512(xp, s, n, kb, kLen, p, count, y, yStride, b.OutStart + start, ahead);
            else PanelKernel(x, s, n, kb, kLen, p, count, y, yStride, b.OutStart + start, ahead);
        }
        if (read == null && release) b.Tensor.Data.Release(at, bytes); // one release per panel: per 16 rows split huge pages
    }

    /// <summary>Inputs [kb, kb+kLen) of a panel's <paramref name="count"/> rows (dtype d, <paramref name="inputs"/>
    /// values each: read, or mapped) as groups of 16 columns, each [kLen, 16].</summary>
    private static void LoadPanel(DType d, ReadOnlySpan<byte> read, int inputs, int kb, int kLen, int count, float[] panel)
    {
        int groups = (count + Cols - 1) / Cols, es = d.Size();
        var rows = _rows ??= new float[Cols * KBlock];
        for (int g = 0; g < groups; g++)
        {
            int n = Math.Min(Cols, count - g * Cols);
            for (int o = 0; o < n; o++)
                Widen(d, read.Slice(((g * Cols + o) * inputs + kb) * es, kLen * es), rows.AsSpan(o * kLen, kLen));
            var slice = panel.AsSpan(g * kLen * Cols, kLen * Cols);
            if (n < Cols) slice.Clear();
            Transpose(rows, n, kLen, slice);
        }
    }

    /// <summary>Whether the 512-bit kernel runs: the CPU has AVX-512 and the caller did not ask for the 256-bit one.</summary>
    private static bool Wide(bool allowed) => allowed && Vector512.IsHardwareAccelerated;

    private static void PanelKernel(float[] x, int s, int n, int kb, int kLen, float[] p, int cols, float[] y, int yStride,
        int yCol, PanelAhead ahead)
    {
        int groups = (cols + Cols - 1) / Cols;
        for (int g = 0; g < groups; g++)
        {
            ahead.Part(g, groups);
            int valid = Math.Min(Cols, cols - g * Cols), pAt = g * kLen * Cols, yAt = yCol + g * Cols;
            for (int i = 0; i < s; i += Rows) Block(x, i, Math.Min(Rows, s - i), n, kb, kLen, p, pAt, y, yStride, yAt, kb > 0, valid);
        }
    }

    /// <summary>Rows [i, i+rows) (rows &lt;= 6) by one 16-column group over inputs [kb, kb+kLen), added to y if add.</summary>
    private static void Block(float[] x, int i, int rows, int n, int kb, int kLen, float[] p, int pAt, float[] y, int yStride,
        int yAt, bool add, int valid)
    {
        Span<Vector256<float>> acc = stackalloc Vector256<float>[2 * Rows];
        if (rows == Rows) Block6(x, i, n, kb, kLen, p, pAt, acc);
        else
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < kLen; k++)
                {
                    var v = Vector256.Create(x[(i + r) * n + kb + k]);
                    acc[2 * r] = Fma256(v, Vector256.Create(p.AsSpan(pAt + k * Cols, 8)), acc[2 * r]);
                    acc[2 * r + 1] = Fma256(v, Vector256.Create(p.AsSpan(pAt + k * Cols + 8, 8)), acc[2 * r + 1]);
                }
        Span<float> out16 = stackalloc float[Cols];
        for (int r = 0; r < rows; r++)
        {
            acc[2 * r].CopyTo(out16);
            acc[2 * r + 1].CopyTo(out16[8..]);
            var dst = y.AsSpan((i + r) * yStride + yAt, valid);
            if (add) System.Numerics.Tensors.TensorPrimitives.Add(dst, out16[..valid], dst);
            else out16[..valid].CopyTo(dst);
        }
    }

    private static void Block6(float[] x, int i, int n, int kb, int kLen, float[] p, int pAt, Span<Vector256<float>> acc)
    {
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
        Vector256<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
        ref float xr = ref x[i * n + kb];
        ref float pr = ref p[pAt];
        nuint step = (nuint)n, pk = 0;
        for (nuint k = 0; k < (nuint)kLen; k++, pk += Cols)
        {
            var lo = Vector256.LoadUnsafe(ref pr, pk);
            var hi = Vector256.LoadUnsafe(ref pr, pk + 8);
            var v = Vector256.Create(Unsafe.Add(ref xr, k));
            a0 = Fma256(v, lo, a0); b0 = Fma256(v, hi, b0);
            v = Vector256.Create(Unsafe.Add(ref xr, step + k));
            a1 = Fma256(v, lo, a1); b1 = Fma256(v, hi, b1);
            v = Vector256.Create(Unsafe.Add(ref xr, 2 * step + k));
            a2 = Fma256(v, lo, a2); b2 = Fma256(v, hi, b2);
            v = Vector256.Create(Unsafe.Add(ref xr, 3 * step + k));
            a3 = Fma256(v, lo, a3); b3 = Fma256(v, hi, b3);
            v = Vector256.Create(Unsafe.Add(ref xr, 4 * step + k));
            a4 = Fma256(v, lo, a4); b4 = Fma256(v, hi, b4);
            v = Vector256.Create(Unsafe.Add(ref xr, 5 * step + k));
            a5 = Fma256(v, lo, a5); b5 = Fma256(v, hi, b5);
        }
        acc[0] = a0; acc[1] = b0; acc[2] = a1; acc[3] = b1; acc[4] = a2; acc[5] = b2;
        acc[6] = a3; acc[7] = b3; acc[8] = a4; acc[9] = b4; acc[10] = a5; acc[11] = b5;
    }
}
