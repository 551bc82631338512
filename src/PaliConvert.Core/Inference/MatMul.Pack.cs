using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PaliConvert.Inference;

/// <summary>x packed for the 512-bit panel kernel (MatMul.Wide.cs).</summary>
public static partial class MatMul
{
    /// <summary>
    /// x as blocks of 12 rows, [block, input, 12], the last block padded with zeros (rented; null without AVX-512 or
    /// for fewer than 12 rows, which the 256-bit kernel takes).
    /// </summary>
    private static float[]? PackRows(float[] x, int s, int n, bool wide)
    {
        int blocks = (s + Wide12 - 1) / Wide12;
        if (!Wide(wide) || s < Wide12) return null;
        var xp = System.Buffers.ArrayPool<float>.Shared.Rent(blocks * Wide12 * n);
        Parallel.For(0, blocks, rb => PackBlock(x, s, n, rb, xp));
        return xp;
    }

    /// <summary>
    /// One block, 16 inputs at a time: its 12 rows and 4 zero rows transposed in registers (value by value, this took
    /// a twentieth of a vision matmul's time), each input's 12 values stored as a vector of 16 whose last 4 the next
    /// input's store overwrites; the block's last input stores only its 12, the next block being another thread's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBlock(float[] x, int s, int n, int rb, float[] xp)
    {
        int rows = Math.Min(Wide12, s - rb * Wide12), to = rb * Wide12 * n, k = 0;
        Span<Vector512<float>> r = stackalloc Vector512<float>[Cols];
        var last = MemoryMarshal.Cast<Vector512<float>, float>(r[(Cols - 1)..])[..Wide12];
        if (Avx512F.IsSupported)
            for (; k + Cols <= n; k += Cols)
            {
                for (int i = 0; i < Cols; i++)
                    r[i] = i < rows ? Vector512.Create<float>(x.AsSpan((rb * Wide12 + i) * n + k, Cols)) : default;
                Transpose16(r);
                for (int j = 0; j < Cols - 1; j++) r[j].CopyTo(xp.AsSpan(to + (k + j) * Wide12, Cols));
                last.CopyTo(xp.AsSpan(to + (k + Cols - 1) * Wide12, Wide12));
            }
        for (int i = 0; i < Wide12; i++)
            for (int j = k; j < n; j++) xp[to + j * Wide12 + i] = i < rows ? x[(rb * Wide12 + i) * n + j] : 0;
    }
}
