using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PaliConvert.Inference;

/// <summary>x packed for the panel kernels (MatMul.Panel.cs, MatMul.Wide.cs).</summary>
public static partial class MatMul
{
    /// <summary>x as blocks of <paramref name="Height"/> rows, [block, input, Height], the last block padded with zeros
    /// (rented): a kernel step's values share a cache line, where rows 8 KB apart would fill one L1 set.</summary>
    private readonly record struct Packed(float[] Data, int Height);

    /// <summary>12-row blocks for the 512-bit kernel where it runs and x has 12 rows, else 6-row blocks.</summary>
    private static Packed PackRows(float[] x, int s, int n, bool wide)
    {
        int h = Wide(wide) && s >= Wide12 ? Wide12 : Rows, blocks = (s + h - 1) / h;
        var xp = System.Buffers.ArrayPool<float>.Shared.Rent(blocks * h * n);
        Parallel.For(0, blocks, rb => PackBlock(x, s, n, rb, h, xp));
        return new(xp, h);
    }

    /// <summary>
    /// One block, 16 (or 8) inputs at a time: its rows and zero rows up to the vector's width transposed in registers
    /// (value by value, this took a twentieth of a vision matmul's time), each input's h values stored as a whole vector
    /// whose tail the next input's store overwrites; the block's last input stores only its h, the next block being
    /// another thread's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBlock(float[] x, int s, int n, int rb, int h, float[] xp)
    {
        int rows = Math.Min(h, s - rb * h), to = rb * h * n, k = 0;
        if (h == Wide12 && Avx512F.IsSupported)
        {
            Span<Vector512<float>> r = stackalloc Vector512<float>[Cols];
            var last = MemoryMarshal.Cast<Vector512<float>, float>(r[(Cols - 1)..])[..h];
            for (; k + Cols <= n; k += Cols)
            {
                for (int i = 0; i < Cols; i++) r[i] = i < rows ? Vector512.Create<float>(x.AsSpan((rb * h + i) * n + k, Cols)) : default;
                Transpose16(r);
                for (int j = 0; j < Cols - 1; j++) r[j].CopyTo(xp.AsSpan(to + (k + j) * h, Cols));
                last.CopyTo(xp.AsSpan(to + (k + Cols - 1) * h, h));
            }
        }
        else if (h == Rows && Avx.IsSupported)
        {
            Span<Vector256<float>> r = stackalloc Vector256<float>[8];
            var last = MemoryMarshal.Cast<Vector256<float>, float>(r[7..])[..h];
            for (; k + 8 <= n; k += 8)
            {
                for (int i = 0; i < 8; i++) r[i] = i < rows ? Vector256.Create<float>(x.AsSpan((rb * h + i) * n + k, 8)) : default;
                Transpose8(r);
                for (int j = 0; j < 7; j++) r[j].CopyTo(xp.AsSpan(to + (k + j) * h, 8));
                last.CopyTo(xp.AsSpan(to + (k + 7) * h, h));
            }
        }
        for (int i = 0; i < h; i++)
            for (int j = k; j < n; j++) xp[to + j * h + i] = i < rows ? x[(rb * h + i) * n + j] : 0;
    }

    /// <summary>8 vectors as an 8 x 8 block, transposed in place: pairs of rows interleaved, then pairs of pairs, then
    /// the 128-bit halves swapped.</summary>
    private static void Transpose8(Span<Vector256<float>> r)
    {
        Span<Vector256<float>> t = stackalloc Vector256<float>[8];
        for (int i = 0; i < 8; i += 2) (t[i], t[i + 1]) = (Avx.UnpackLow(r[i], r[i + 1]), Avx.UnpackHigh(r[i], r[i + 1]));
        for (int i = 0; i < 8; i += 4)
            for (int j = 0; j < 2; j++)
            {
                r[i + 2 * j] = Avx.Shuffle(t[i + j], t[i + j + 2], 0x44);
                r[i + 2 * j + 1] = Avx.Shuffle(t[i + j], t[i + j + 2], 0xEE);
            }
        for (int j = 0; j < 4; j++) (t[j], t[j + 4]) = (Avx.Permute2x128(r[j], r[j + 4], 0x20), Avx.Permute2x128(r[j], r[j + 4], 0x31));
        t.CopyTo(r);
    }
}
