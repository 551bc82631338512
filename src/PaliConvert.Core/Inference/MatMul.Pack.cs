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
        else if (h == Rows && Avx.IsSupported) k = PackBlock6(x, s, n, rb, xp);
        for (int i = 0; i < h; i++)
            for (int j = k; j < n; j++) xp[to + j * h + i] = i < rows ? x[(rb * h + i) * n + j] : 0;
    }

    /// <summary>
    /// <see cref="PackBlock"/> for 6-row blocks, 8 inputs at a time, by reference (through spans and a transpose that
    /// was not inlined, packing took a tenth of a vision product's kernel time); returns the inputs it packed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackBlock6(float[] x, int s, int n, int rb, float[] xp)
    {
        int rows = Math.Min(Rows, s - rb * Rows), k = 0;
        _ = x.AsSpan(rb * Rows * n, rows * n); // the bounds, checked once: the loads below go by reference
        _ = xp.AsSpan(rb * Rows * n, Rows * n);
        ref float r0 = ref x[rb * Rows * n];
        ref float to = ref xp[rb * Rows * n];
        nuint nn = (nuint)n;
        for (; k + 8 <= n; k += 8)
        {
            var v0 = Vector256.LoadUnsafe(ref r0, (nuint)k);
            var v1 = rows > 1 ? Vector256.LoadUnsafe(ref r0, nn + (nuint)k) : default;
            var v2 = rows > 2 ? Vector256.LoadUnsafe(ref r0, 2 * nn + (nuint)k) : default;
            var v3 = rows > 3 ? Vector256.LoadUnsafe(ref r0, 3 * nn + (nuint)k) : default;
            var v4 = rows > 4 ? Vector256.LoadUnsafe(ref r0, 4 * nn + (nuint)k) : default;
            var v5 = rows > 5 ? Vector256.LoadUnsafe(ref r0, 5 * nn + (nuint)k) : default;
            Vector256<float> v6 = default, v7 = default;
            Transpose8(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
            ref float at = ref Unsafe.Add(ref to, (nuint)(k * Rows));
            v0.StoreUnsafe(ref at); // each input's 6 values as a whole vector, whose tail the next one's store overwrites
            v1.StoreUnsafe(ref at, 6);
            v2.StoreUnsafe(ref at, 12);
            v3.StoreUnsafe(ref at, 18);
            v4.StoreUnsafe(ref at, 24);
            v5.StoreUnsafe(ref at, 30);
            v6.StoreUnsafe(ref at, 36);
            if (k + 8 < n) v7.StoreUnsafe(ref at, 42);
            else
            {
                v7.GetLower().StoreUnsafe(ref at, 42); // the block's last input: only its 6, the next block is another thread's
                Unsafe.Add(ref at, 46) = v7.GetElement(4);
                Unsafe.Add(ref at, 47) = v7.GetElement(5);
            }
        }
        return k;
    }

    /// <summary>An 8 x 8 block (rows r0..r7) transposed in place (r0..r7 its columns): pairs of rows interleaved, then
    /// pairs of pairs, then the 128-bit halves swapped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2,
        ref Vector256<float> r3, ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6,
        ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20); r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20); r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31); r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31); r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>
    /// 16 rows <paramref name="stride"/> values apart (L's dtype, from <paramref name="src"/>), columns [0, kLen), widened
    /// into a slice [kLen, 16], 8 x 8 blocks transposed in registers; false where L's widening was not exact. Value by
    /// value, an [out, in] panel's transpose was 2.5 of the 64 CPU-seconds of a 3B's jax2hf --verify on AVX2
    /// (bench/README.md). f16 and bf16 groups come straight from the bytes read; f32 ones from rows copied first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TransposeGroup<L>(ref byte src, nuint stride, int kLen, Span<float> slice) where L : IVectorLoad256
    {
        _ = slice[..(kLen * Cols)]; // the bounds, checked once (the caller's for src): the stores go by reference
        ref float s = ref MemoryMarshal.GetReference(slice);
        Vector256<float> seen = default;
        int k = 0;
        for (; k + 8 <= kLen; k += 8)
            for (int half = 0; half < 2; half++)
            {
                nuint r = (nuint)(half * 8) * stride + (nuint)k;
                var v0 = L.Load(ref src, r); var v1 = L.Load(ref src, r + stride);
                var v2 = L.Load(ref src, r + 2 * stride); var v3 = L.Load(ref src, r + 3 * stride);
                var v4 = L.Load(ref src, r + 4 * stride); var v5 = L.Load(ref src, r + 5 * stride);
                var v6 = L.Load(ref src, r + 6 * stride); var v7 = L.Load(ref src, r + 7 * stride);
                seen = L.Seen(L.Seen(L.Seen(L.Seen(L.Seen(L.Seen(L.Seen(L.Seen(seen, v0), v1), v2), v3), v4), v5), v6), v7);
                Transpose8(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
                ref float d = ref Unsafe.Add(ref s, (nuint)(k * Cols + half * 8));
                v0.StoreUnsafe(ref d); v1.StoreUnsafe(ref d, 16); v2.StoreUnsafe(ref d, 32); v3.StoreUnsafe(ref d, 48);
                v4.StoreUnsafe(ref d, 64); v5.StoreUnsafe(ref d, 80); v6.StoreUnsafe(ref d, 96); v7.StoreUnsafe(ref d, 112);
            }
        for (; k < kLen; k++)
            for (int o = 0; o < Cols; o++) Unsafe.Add(ref s, k * Cols + o) = L.One(ref src, (nuint)o * stride + (nuint)k);
        return L.Exact(seen);
    }
}
