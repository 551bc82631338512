using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PaliConvert.Inference;

/// <summary>The attention products under AVX-512.</summary>
internal static partial class Attention
{
    /// <summary>
    /// 8 rows of a by two 16-wide vectors of b: 16 accumulators, 2 loads and 8 broadcasts per 16 FMAs (the 4 x 2
    /// Vector&lt;float&gt; kernel, 256 bits wide, did 8 FMAs per 6 loads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product8x32(ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> b, int cols, Span<float> c)
    {
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float cr = ref MemoryMarshal.GetReference(c);
        nuint d1 = (nuint)depth, s = (nuint)cols;
        for (int i = 0; i < rows; i += 8)
        {
            ref float a0 = ref Unsafe.Add(ref ar, (nuint)(i * depth));
            for (int j = 0; j < cols; j += 32)
            {
                Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
                for (nuint d = 0, at = (nuint)j; d < d1; d++, at += s)
                {
                    var b0 = Vector512.LoadUnsafe(ref br, at);
                    var b1 = Vector512.LoadUnsafe(ref br, at + 16);
                    ref float x = ref Unsafe.Add(ref a0, d);
                    var v = Vector512.Create(x);
                    c00 = Vector512.FusedMultiplyAdd(v, b0, c00); c01 = Vector512.FusedMultiplyAdd(v, b1, c01);
                    v = Vector512.Create(Unsafe.Add(ref x, d1));
                    c10 = Vector512.FusedMultiplyAdd(v, b0, c10); c11 = Vector512.FusedMultiplyAdd(v, b1, c11);
                    v = Vector512.Create(Unsafe.Add(ref x, 2 * d1));
                    c20 = Vector512.FusedMultiplyAdd(v, b0, c20); c21 = Vector512.FusedMultiplyAdd(v, b1, c21);
                    v = Vector512.Create(Unsafe.Add(ref x, 3 * d1));
                    c30 = Vector512.FusedMultiplyAdd(v, b0, c30); c31 = Vector512.FusedMultiplyAdd(v, b1, c31);
                    v = Vector512.Create(Unsafe.Add(ref x, 4 * d1));
                    c40 = Vector512.FusedMultiplyAdd(v, b0, c40); c41 = Vector512.FusedMultiplyAdd(v, b1, c41);
                    v = Vector512.Create(Unsafe.Add(ref x, 5 * d1));
                    c50 = Vector512.FusedMultiplyAdd(v, b0, c50); c51 = Vector512.FusedMultiplyAdd(v, b1, c51);
                    v = Vector512.Create(Unsafe.Add(ref x, 6 * d1));
                    c60 = Vector512.FusedMultiplyAdd(v, b0, c60); c61 = Vector512.FusedMultiplyAdd(v, b1, c61);
                    v = Vector512.Create(Unsafe.Add(ref x, 7 * d1));
                    c70 = Vector512.FusedMultiplyAdd(v, b0, c70); c71 = Vector512.FusedMultiplyAdd(v, b1, c71);
                }
                ref float o = ref Unsafe.Add(ref cr, (nuint)(i * cols + j));
                c00.StoreUnsafe(ref o); c01.StoreUnsafe(ref o, 16);
                c10.StoreUnsafe(ref o, s); c11.StoreUnsafe(ref o, s + 16);
                c20.StoreUnsafe(ref o, 2 * s); c21.StoreUnsafe(ref o, 2 * s + 16);
                c30.StoreUnsafe(ref o, 3 * s); c31.StoreUnsafe(ref o, 3 * s + 16);
                c40.StoreUnsafe(ref o, 4 * s); c41.StoreUnsafe(ref o, 4 * s + 16);
                c50.StoreUnsafe(ref o, 5 * s); c51.StoreUnsafe(ref o, 5 * s + 16);
                c60.StoreUnsafe(ref o, 6 * s); c61.StoreUnsafe(ref o, 6 * s + 16);
                c70.StoreUnsafe(ref o, 7 * s); c71.StoreUnsafe(ref o, 7 * s + 16);
            }
        }
    }
}
