using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PaliConvert.Inference;

/// <summary>
/// Dot products of few rows (the tied logits' 16 text rows) against a tile of [out, in] weight rows on a CPU without
/// AVX-512: <see cref="Block4x4"/>'s 16 accumulators left no AVX register for its operands, and the JIT kept them on the
/// stack, stored and loaded at every step.
/// </summary>
public static partial class MatMul
{
    /// <summary>Inputs per pass over a tile: four rows of x (16 KB) stay in L1 while the tile's rows stream from L2.</summary>
    private const int DotsDepth = 1024;

    private static void Kernel256(float[] x, int s, int n, float[] w, int rows, float[] y, int yStride, int yCol)
    {
        int full = s / 4 * 4;
        for (int k0 = 0; k0 < n; k0 += DotsDepth)
            for (int i = 0; i < full; i += 4)
                for (int o = 0; o < rows; o += 3)
                    Block4x3(x, i, n, w, o, Math.Min(3, rows - o), k0, Math.Min(DotsDepth, n - k0), y, yStride, yCol, k0 > 0);
        for (int i = full; i < s; i++)
            for (int o = 0; o < rows; o++) y[i * yStride + yCol + o] = Dot(x.AsSpan(i * n, n), w.AsSpan(o * n, n));
    }

    /// <summary>4 rows of x by <paramref name="count"/> (1-3) weight rows over inputs [k0, k0+kLen): 12 accumulators, 3
    /// weight vectors and one of x (a missing weight row repeats the last, its sums not stored); added to y where
    /// <paramref name="add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x3(float[] x, int i, int n, float[] w, int o, int count, int k0, int kLen, float[] y, int yStride,
        int yCol, bool add)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        ref float xr = ref x[0];
        ref float wr = ref w[0];
        nuint x0 = (nuint)(i * n + k0), x1 = x0 + (nuint)n, x2 = x1 + (nuint)n, x3 = x2 + (nuint)n;
        nuint w0 = (nuint)(o * n + k0), w1 = count > 1 ? w0 + (nuint)n : w0, w2 = count > 2 ? w1 + (nuint)n : w1;
        nuint k = 0, end = (nuint)(kLen / 8 * 8);
        for (; k < end; k += 8)
        {
            var v0 = Vector256.LoadUnsafe(ref wr, w0 + k);
            var v1 = Vector256.LoadUnsafe(ref wr, w1 + k);
            var v2 = Vector256.LoadUnsafe(ref wr, w2 + k);
            var xv = Vector256.LoadUnsafe(ref xr, x0 + k);
            a00 = Fma256(xv, v0, a00); a01 = Fma256(xv, v1, a01); a02 = Fma256(xv, v2, a02);
            xv = Vector256.LoadUnsafe(ref xr, x1 + k);
            a10 = Fma256(xv, v0, a10); a11 = Fma256(xv, v1, a11); a12 = Fma256(xv, v2, a12);
            xv = Vector256.LoadUnsafe(ref xr, x2 + k);
            a20 = Fma256(xv, v0, a20); a21 = Fma256(xv, v1, a21); a22 = Fma256(xv, v2, a22);
            xv = Vector256.LoadUnsafe(ref xr, x3 + k);
            a30 = Fma256(xv, v0, a30); a31 = Fma256(xv, v1, a31); a32 = Fma256(xv, v2, a32);
        }
        Span<float> sums =
        [
            Vector256.Sum(a00), Vector256.Sum(a01), Vector256.Sum(a02), Vector256.Sum(a10), Vector256.Sum(a11), Vector256.Sum(a12),
            Vector256.Sum(a20), Vector256.Sum(a21), Vector256.Sum(a22), Vector256.Sum(a30), Vector256.Sum(a31), Vector256.Sum(a32),
        ];
        for (int a = 0; a < 4; a++)
            for (int r = 0; r < count; r++)
            {
                float sum = sums[a * 3 + r];
                for (int t = (int)end; t < kLen; t++) sum += x[(i + a) * n + k0 + t] * w[(o + r) * n + k0 + t];
                ref float dst = ref y[(i + a) * yStride + yCol + o + r];
                dst = add ? dst + sum : sum;
            }
    }
}
