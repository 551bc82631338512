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
    private const int PanelMax = 256, Rows = 6, Cols = 16, KBlock = 256;

    /// <summary>Panel width: 32 to 256 outputs, narrow enough that every core gets about four panels.</summary>
    private static int PanelWidth(int outputs) =>
        Math.Clamp((outputs / (4 * Environment.ProcessorCount) + 31) / 32 * 32, 32, PanelMax);

    [ThreadStatic] private static float[]? _rows;

    private static void LoadPanel(LinearBlock b, int inputs, int start, int count, float[] panel)
    {
        int groups = (count + Cols - 1) / Cols;
        if (b.OutIn)
        {
            var rows = _rows is { } r && r.Length >= Cols * inputs ? r : _rows = new float[Cols * inputs];
            for (int g = 0; g < groups; g++)
            {
                int n = Math.Min(Cols, count - g * Cols);
                LoadTile(b, inputs, start + g * Cols, n, rows);
                var slice = panel.AsSpan(g * inputs * Cols, inputs * Cols);
                if (n < Cols) slice.Clear();
                for (int o = 0; o < n; o++)
                    for (int k = 0; k < inputs; k++) slice[k * Cols + o] = rows[o * inputs + k];
            }
            return;
        }
        Span<float> row = stackalloc float[groups * Cols];
        row[count..].Clear();
        for (int k = 0; k < inputs; k++)
        {
            b.Tensor.ReadF32(b.Offset + (long)k * b.OutCount + start, row[..count]);
            for (int g = 0; g < groups; g++) row.Slice(g * Cols, Cols).CopyTo(panel.AsSpan((g * inputs + k) * Cols, Cols));
        }
    }

    /// <summary>Whether the 512-bit kernel runs: the CPU has AVX-512 and the caller did not ask for the 256-bit one.</summary>
    private static bool Wide(bool allowed) => allowed && Vector512.IsHardwareAccelerated;

    private static void PanelKernel(float[] x, int s, int n, float[] p, int cols, float[] y, int yStride, int yCol, bool wide)
    {
        int groups = (cols + Cols - 1) / Cols;
        if (Wide(wide)) { PanelKernel512(x, s, n, p, cols, y, yStride, yCol); return; }
        for (int kb = 0; kb < n; kb += KBlock)
        {
            int kLen = Math.Min(KBlock, n - kb);
            for (int g = 0; g < groups; g++)
            {
                int valid = Math.Min(Cols, cols - g * Cols), pAt = (g * n + kb) * Cols, yAt = yCol + g * Cols;
                for (int i = 0; i < s; i += Rows)
                    Block(x, i, Math.Min(Rows, s - i), n, kb, kLen, p, pAt, y, yStride, yAt, kb > 0, valid);
            }
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

    /// <summary>
    /// The same panels under AVX-512: a 12 x 16 kernel, one 512-bit vector per slice row, 12 accumulators of the 32
    /// registers, one load and 12 broadcasts per 12 FMAs (twice the work per instruction of the 256-bit kernel).
    /// Rows past the last multiple of 12 go through the 256-bit blocks.
    /// </summary>
    private static void PanelKernel512(float[] x, int s, int n, float[] p, int cols, float[] y, int yStride, int yCol)
    {
        int groups = (cols + Cols - 1) / Cols, whole = s / Wide12 * Wide12;
        for (int kb = 0; kb < n; kb += KBlock)
        {
            int kLen = Math.Min(KBlock, n - kb);
            for (int g = 0; g < groups; g++)
            {
                int valid = Math.Min(Cols, cols - g * Cols), pAt = (g * n + kb) * Cols, yAt = yCol + g * Cols;
                for (int i = 0; i < whole; i += Wide12) Block12(x, i, n, kb, kLen, p, pAt, y, yStride, yAt, kb > 0, valid);
                for (int i = whole; i < s; i += Rows)
                    Block(x, i, Math.Min(Rows, s - i), n, kb, kLen, p, pAt, y, yStride, yAt, kb > 0, valid);
            }
        }
    }

    private const int Wide12 = 12;

    private static void Block12(float[] x, int i, int n, int kb, int kLen, float[] p, int pAt, float[] y, int yStride, int yAt,
        bool add, int valid)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        ref float xr = ref x[i * n + kb];
        ref float pr = ref p[pAt];
        nuint step = (nuint)n, pk = 0;
        for (nuint k = 0; k < (nuint)kLen; k++, pk += Cols)
        {
            var w = Vector512.LoadUnsafe(ref pr, pk);
            ref float xk = ref Unsafe.Add(ref xr, k);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(xk), w, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, step)), w, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 2 * step)), w, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 3 * step)), w, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 4 * step)), w, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 5 * step)), w, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 6 * step)), w, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 7 * step)), w, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 8 * step)), w, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 9 * step)), w, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 10 * step)), w, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xk, 11 * step)), w, a11);
        }
        int at = i * yStride + yAt;
        Store(a0, y, at, valid, add); Store(a1, y, at + yStride, valid, add); Store(a2, y, at + 2 * yStride, valid, add);
        Store(a3, y, at + 3 * yStride, valid, add); Store(a4, y, at + 4 * yStride, valid, add);
        Store(a5, y, at + 5 * yStride, valid, add); Store(a6, y, at + 6 * yStride, valid, add);
        Store(a7, y, at + 7 * yStride, valid, add); Store(a8, y, at + 8 * yStride, valid, add);
        Store(a9, y, at + 9 * yStride, valid, add); Store(a10, y, at + 10 * yStride, valid, add);
        Store(a11, y, at + 11 * yStride, valid, add);
    }

    /// <summary>One row's 16 sums into y (added where an earlier input block wrote them), the valid ones only.</summary>
    private static void Store(Vector512<float> acc, float[] y, int at, int valid, bool add)
    {
        var dst = y.AsSpan(at, valid);
        if (valid == Cols)
        {
            (add ? Vector512.Create<float>(dst) + acc : acc).CopyTo(dst);
            return;
        }
        Span<float> out16 = stackalloc float[Cols];
        acc.CopyTo(out16);
        if (add) System.Numerics.Tensors.TensorPrimitives.Add(dst, out16[..valid], dst);
        else out16[..valid].CopyTo(dst);
    }
}
