using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PaliConvert.Inference;

/// <summary>The panels' AVX-512 paths: the 12 x 32 kernel and the 16 x 16 transpose of [out, in] weights.</summary>
public static partial class MatMul
{
    /// <summary>
    /// The same panels under AVX-512: 12 rows of x, packed so a step's 12 values share a cache line (12 rows 8 KB
    /// apart would fill one L1 set), by two 16-column groups: 24 accumulators of the 32 registers, 2 loads and 12
    /// broadcasts per 24 FMAs. The last block's missing rows are zeros, not stored. Column pairs outermost: a pair's
    /// panel stays in L1/L2 across all row blocks, and x's packed block is the stream (3-8 % faster per product).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per panel and input block: no slow tier first
    private static void PanelKernel512(float[] xp, int s, int n, int kb, int kLen, float[] p, int cols, float[] y, int yStride,
        int yCol, PanelAhead ahead)
    {
        int groups = (cols + Cols - 1) / Cols, pairs = (groups + 1) / 2, calls = (s + Wide12 - 1) / Wide12 * pairs;
        int call = 0;
        for (int g = 0; g < groups; g += 2)
            for (int i = 0; i < s; i += Wide12)
            {
                ahead.Part(call++, calls);
                int pAt = g * kLen * Cols, yAt = i * yStride + yCol + g * Cols, xAt = i * n + kb * Wide12;
                if (i + Wide12 < s) SumsAhead(y, yAt + Wide12 * yStride, yStride, Math.Min(Wide12, s - i - Wide12));
                else if (g + 2 < groups) SumsAhead(y, yCol + (g + 2) * Cols, yStride, Math.Min(Wide12, s));
                int valid = Math.Min(2 * Cols, cols - g * Cols), next = g + 1 < groups ? pAt + kLen * Cols : pAt;
                Block12(xp, xAt, kLen, p, pAt, next, y, yStride, yAt, kb > 0, valid, Math.Min(Wide12, s - i));
            }
    }

    private const int Wide12 = 12;

    /// <summary>
    /// The next call's sums (rows of 32 values <paramref name="stride"/> apart) asked for into L1 while this call
    /// computes: with the input blocks outermost, a [in, out] weight's sums have left the caches since the block
    /// before, and 24 misses at the end of each call stalled it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SumsAhead(float[] y, int at, int stride, int rows)
    {
        if (!Sse.IsSupported) return;
        ref float first = ref MemoryMarshal.GetArrayDataReference(y);
        for (int r = 0; r < rows; r++)
        {
            int row = at + r * stride;
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref first, row)));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref first, Math.Min(row + 2 * Cols - 1, y.Length - 1))));
        }
    }

    [SkipLocalsInit]
    private static void Block12(float[] xp, int xAt, int kLen, float[] p, int pAt, int qAt, float[] y, int yStride, int yAt,
        bool add, int valid, int rows)
    {
        // The sums leave through a buffer made before the loop: a call while they are live (an array, Store) makes
        // the JIT spill all 24 to the stack on every step.
        Span<Vector512<float>> acc = stackalloc Vector512<float>[2 * Wide12];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> b6 = default, b7 = default, b8 = default, b9 = default, b10 = default, b11 = default;
        ref float xr = ref xp[xAt];
        ref float pr = ref p[pAt];
        ref float qr = ref p[qAt];
        for (nuint k = 0, pk = 0; k < (nuint)kLen; k++, pk += Cols)
        {
            var w = Vector512.LoadUnsafe(ref pr, pk);
            var u = Vector512.LoadUnsafe(ref qr, pk);
            ref float xk = ref Unsafe.Add(ref xr, k * Wide12);
            var v = Vector512.Create(xk);
            a0 = Vector512.FusedMultiplyAdd(v, w, a0); b0 = Vector512.FusedMultiplyAdd(v, u, b0);
            v = Vector512.Create(Unsafe.Add(ref xk, 1));
            a1 = Vector512.FusedMultiplyAdd(v, w, a1); b1 = Vector512.FusedMultiplyAdd(v, u, b1);
            v = Vector512.Create(Unsafe.Add(ref xk, 2));
            a2 = Vector512.FusedMultiplyAdd(v, w, a2); b2 = Vector512.FusedMultiplyAdd(v, u, b2);
            v = Vector512.Create(Unsafe.Add(ref xk, 3));
            a3 = Vector512.FusedMultiplyAdd(v, w, a3); b3 = Vector512.FusedMultiplyAdd(v, u, b3);
            v = Vector512.Create(Unsafe.Add(ref xk, 4));
            a4 = Vector512.FusedMultiplyAdd(v, w, a4); b4 = Vector512.FusedMultiplyAdd(v, u, b4);
            v = Vector512.Create(Unsafe.Add(ref xk, 5));
            a5 = Vector512.FusedMultiplyAdd(v, w, a5); b5 = Vector512.FusedMultiplyAdd(v, u, b5);
            v = Vector512.Create(Unsafe.Add(ref xk, 6));
            a6 = Vector512.FusedMultiplyAdd(v, w, a6); b6 = Vector512.FusedMultiplyAdd(v, u, b6);
            v = Vector512.Create(Unsafe.Add(ref xk, 7));
            a7 = Vector512.FusedMultiplyAdd(v, w, a7); b7 = Vector512.FusedMultiplyAdd(v, u, b7);
            v = Vector512.Create(Unsafe.Add(ref xk, 8));
            a8 = Vector512.FusedMultiplyAdd(v, w, a8); b8 = Vector512.FusedMultiplyAdd(v, u, b8);
            v = Vector512.Create(Unsafe.Add(ref xk, 9));
            a9 = Vector512.FusedMultiplyAdd(v, w, a9); b9 = Vector512.FusedMultiplyAdd(v, u, b9);
            v = Vector512.Create(Unsafe.Add(ref xk, 10));
            a10 = Vector512.FusedMultiplyAdd(v, w, a10); b10 = Vector512.FusedMultiplyAdd(v, u, b10);
            v = Vector512.Create(Unsafe.Add(ref xk, 11));
            a11 = Vector512.FusedMultiplyAdd(v, w, a11); b11 = Vector512.FusedMultiplyAdd(v, u, b11);
        }
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5;
        acc[6] = a6; acc[7] = a7; acc[8] = a8; acc[9] = a9; acc[10] = a10; acc[11] = a11;
        acc[12] = b0; acc[13] = b1; acc[14] = b2; acc[15] = b3; acc[16] = b4; acc[17] = b5;
        acc[18] = b6; acc[19] = b7; acc[20] = b8; acc[21] = b9; acc[22] = b10; acc[23] = b11;
        _ = y.AsSpan(yAt + (rows - 1) * yStride, valid); // the one bounds check: the stores below go by reference
        ref float yr = ref y[yAt];
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref yr, r * yStride);
            Store(acc[r], ref row, Math.Min(valid, Cols), add);
            if (valid > Cols) Store(acc[Wide12 + r], ref Unsafe.Add(ref row, Cols), valid - Cols, add);
        }
    }

    /// <summary>One row's 16 sums into y (added where an earlier input block wrote them), the valid ones only; inlined,
    /// no call per row (a call with a span and a stack buffer for each of the 24 cost a fifth of a short shape's time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> acc, ref float dst, int valid, bool add)
    {
        if (valid == Cols)
        {
            (add ? Vector512.LoadUnsafe(ref dst) + acc : acc).StoreUnsafe(ref dst);
            return;
        }
        for (int c = 0; c < valid; c++) Unsafe.Add(ref dst, c) = (add ? Unsafe.Add(ref dst, c) : 0) + acc.GetElement(c);
    }

    private const int TransposeBlock = 64;

    /// <summary>n rows of <paramref name="inputs"/> floats, <paramref name="stride"/> apart, into a slice [inputs, 16]
    /// (n &lt;= 16, the rest zeros).</summary>
    private static void Transpose(float[] rows, int n, int inputs, int stride, Span<float> slice)
    {
        int k = 0;
        if (n == Cols && Avx512F.IsSupported)
            for (; k + Cols <= inputs; k += Cols) Transpose16(rows, stride, k, slice);
        else if (n == Cols && Avx2.IsSupported)
        {
            TransposeGroup<F32Load256>(ref MemoryMarshal.AsBytes(rows.AsSpan(0, Cols * stride))[0], (nuint)stride, inputs, slice);
            return;
        }
        for (int kb = k; kb < inputs; kb += TransposeBlock) // 64 steps of 16: the written lines stay in L1
        {
            int kEnd = Math.Min(inputs, kb + TransposeBlock);
            for (int o = 0; o < n; o++)
                for (int j = kb; j < kEnd; j++) slice[j * Cols + o] = rows[o * stride + j];
        }
    }

    /// <summary>
    /// A 16 x 16 block, columns [k, k+16) of the 16 rows, transposed in registers: each of four rounds swaps one bit
    /// of the row index with the same bit of the column index, two two-source permutes per pair of rows.
    /// </summary>
    private static void Transpose16(float[] rows, int inputs, int k, Span<float> slice)
    {
        Span<Vector512<float>> r = stackalloc Vector512<float>[Cols];
        for (int o = 0; o < Cols; o++) r[o] = Vector512.LoadUnsafe(ref rows[o * inputs + k]);
        Transpose16(r);
        for (int j = 0; j < Cols; j++) r[j].CopyTo(slice.Slice((k + j) * Cols, Cols));
    }

    /// <summary>16 vectors as a 16 x 16 block, transposed in place.</summary>
    private static void Transpose16(Span<Vector512<float>> r)
    {
        for (int round = 0; round < SwapMasks.Length; round++)
        {
            int d = 8 >> round;
            var (lo, hi) = SwapMasks[round];
            for (int i = 0; i < Cols; i++)
            {
                if ((i & d) != 0) continue;
                var a = r[i];
                r[i] = Avx512F.PermuteVar16x32x2(a, lo, r[i + d]);
                r[i + d] = Avx512F.PermuteVar16x32x2(a, hi, r[i + d]);
            }
        }
    }

    /// <summary>Per round (bit d = 8, 4, 2, 1): the permutes' indices (0-15 the first row, 16-31 the second) for the rows
    /// without and with d.</summary>
    private static readonly (Vector512<int> Lo, Vector512<int> Hi)[] SwapMasks = new[] { 8, 4, 2, 1 }.Select(
        d => (Mask(j => (j & d) == 0 ? j : 16 + j - d), Mask(j => (j & d) == 0 ? j + d : 16 + j))).ToArray();

    private static Vector512<int> Mask(Func<int, int> f) => Vector512.Create(Enumerable.Range(0, Cols).Select(f).ToArray());
}
