using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// Panels widened in registers (<see cref="IVectorLoad"/>) rather than through TensorPrimitives' conversion of each
/// short run (a call per row of at most 256 values), where the CPU and dtype allow.
/// </summary>
public static partial class MatMul
{
    /// <summary>Rows a panel's row asks for ahead of its widening (8 and 16 were no faster).</summary>
    private const int RowsAhead = 4;

    /// <summary>Row k's outputs go to each 16-column group's row k; the last group's missing columns are zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PanelRows<L>(ref byte w, int stride, int kLen, int count, float[] panel) where L : IVectorLoad
    {
        Vector512<float> seen = default;
        ref float p = ref MemoryMarshal.GetArrayDataReference(panel);
        int full = count / Cols, rest = count - full * Cols;
        for (int k = 0; k < kLen; k++)
        {
            nuint row = (nuint)((long)k * stride);
            if (k + RowsAhead < kLen) Ahead<L>(ref w, row, stride, count);
            for (int g = 0; g < full; g++)
            {
                var v = L.Load(ref w, row + (nuint)(g * Cols));
                seen = L.Seen(seen, v);
                v.StoreUnsafe(ref p, (nuint)((g * kLen + k) * Cols));
            }
            if (rest > 0) Tail<L>(ref w, row + (nuint)(full * Cols), rest, panel, (full * kLen + k) * Cols);
        }
        return L.Exact(seen);
    }

    /// <summary>As <see cref="PanelRows{L}"/>, each group's row as two 256-bit vectors (a CPU without AVX-512): a
    /// row converted to a buffer and copied group by group was 9 % of the 3B pass's CPU on AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PanelRows256<L>(ref byte w, int stride, int kLen, int count, float[] panel) where L : IVectorLoad256
    {
        Vector256<float> seen = default;
        ref float p = ref MemoryMarshal.GetArrayDataReference(panel);
        int full = count / Cols, rest = count - full * Cols;
        for (int k = 0; k < kLen; k++)
        {
            nuint row = (nuint)((long)k * stride);
            if (k + RowsAhead < kLen) Ahead<L>(ref w, row, stride, count);
            for (int g = 0; g < full; g++)
            {
                nuint at = row + (nuint)(g * Cols), to = (nuint)((g * kLen + k) * Cols);
                var lo = L.Load(ref w, at);
                var hi = L.Load(ref w, at + 8);
                seen = L.Seen(L.Seen(seen, lo), hi);
                lo.StoreUnsafe(ref p, to);
                hi.StoreUnsafe(ref p, to + 8);
            }
            if (rest > 0) Tail<L>(ref w, row + (nuint)(full * Cols), rest, panel, (full * kLen + k) * Cols);
        }
        return L.Exact(seen);
    }

    /// <summary>The panel's columns in the row <see cref="RowsAhead"/> on, asked for: each row's run starts a new page,
    /// where the hardware prefetcher stops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ahead<L>(ref byte w, nuint row, int stride, int count) where L : IElementLoad
    {
        for (int c = 0; c < count; c += 64 / L.Size) VectorLoads.Prefetch<L>(ref w, row + (nuint)(RowsAhead * stride + c));
    }

    /// <summary>The last group's row: <paramref name="rest"/> values from <paramref name="at"/>, then zeros (inlined:
    /// a call in a kernel makes the JIT keep its vectors on the stack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tail<L>(ref byte w, nuint at, int rest, float[] panel, int to) where L : IElementLoad
    {
        for (int c = 0; c < Cols; c++) panel[to + c] = c < rest ? L.One(ref w, at + (nuint)c) : 0;
    }

    private static bool InRegisters(DType d, ref byte w, Span<float> dst) => d switch
    {
        DType.F16 => Widen<F16Load>(ref w, dst),
        DType.BF16 => Widen<Bf16Load>(ref w, dst),
        _ => Widen<F32Load>(ref w, dst),
    };

    /// <summary>Values of dtype d as floats: in registers where the CPU takes d and that was exact, else converted.</summary>
    private static void Widen(DType d, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (!VectorLoads.Takes(d) || !InRegisters(d, ref MemoryMarshal.GetReference(src), dst)) FloatConvert.ToF32(d, src, dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Widen<L>(ref byte w, Span<float> dst) where L : IVectorLoad
    {
        Vector512<float> seen = default;
        ref float d = ref MemoryMarshal.GetReference(dst);
        int full = dst.Length - dst.Length % 16;
        for (int k = 0; k < full; k += 16)
        {
            var v = L.Load(ref w, (nuint)k);
            seen = L.Seen(seen, v);
            v.StoreUnsafe(ref d, (nuint)k);
        }
        for (int k = full; k < dst.Length; k++) dst[k] = L.One(ref w, (nuint)k);
        return L.Exact(seen);
    }
}
