using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>What the 512- and 256-bit loads share: one element at a time, for tails.</summary>
internal interface IElementLoad
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int Size { get; }

    /// <summary>One element, converted exactly (tails).</summary>
    static abstract float One(ref byte row, nuint at);
}

/// <summary>
/// Sixteen stored weights widened to f32 in registers, for kernels that read a weight once (a decode step) and so
/// gain nothing from widening it into a buffer first. <c>Seen</c> gathers what an exact check needs (see F16Load).
/// </summary>
internal interface IVectorLoad : IElementLoad
{
    static abstract Vector512<float> Load(ref byte row, nuint at);

    /// <summary>What x is multiplied by against loaded vectors (1 but for <see cref="ScaledF16Load"/>).</summary>
    static abstract float XScale { get; }

    /// <summary>What the exact check keeps of a loaded vector (returned, not by reference: a local whose address is
    /// taken lives on the stack, stored at every step).</summary>
    static abstract Vector512<float> Seen(Vector512<float> seen, Vector512<float> v);

    /// <summary>False when <c>Seen</c> shows a value the fast widening got wrong: the caller redoes the work exactly.</summary>
    static abstract bool Exact(Vector512<float> seen);
}

internal readonly struct F32Load : IVectorLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref byte row, nuint at) => Vector512.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), at);

    public static int Size => 4;

    public static float XScale => 1;

    public static Vector512<float> Seen(Vector512<float> seen, Vector512<float> v) => seen;

    public static float One(ref byte row, nuint at) => Unsafe.Add(ref Unsafe.As<byte, float>(ref row), at);

    public static bool Exact(Vector512<float> seen) => true;
}

internal readonly struct Bf16Load : IVectorLoad
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref byte row, nuint at)
    {
        var h = Vector256.LoadUnsafe(ref Unsafe.As<byte, ushort>(ref row), at);
        return Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(h), 16).AsSingle();
    }

    public static Vector512<float> Seen(Vector512<float> seen, Vector512<float> v) => seen;

    public static int Size => 2;

    public static float XScale => 1;

    public static float One(ref byte row, nuint at) =>
        BitConverter.Int32BitsToSingle(Unsafe.Add(ref Unsafe.As<byte, ushort>(ref row), at) << 16);

    public static bool Exact(Vector512<float> seen) => true;
}

/// <summary>
/// f16 without a hardware conversion (.NET 10 exposes neither F16C nor AVX512-FP16), by the shift and multiply of
/// <see cref="FloatConvert.F16ToF32"/>. Infinity and NaN (exponent 31) come out finite, at 65,536 or more, which no
/// finite f16 reaches: <c>seen</c> keeps the largest magnitude to catch them.
/// </summary>
internal readonly struct F16Load : IVectorLoad
{
    internal const float Scale = FloatConvert.F16Scale;
    internal const float Limit = 65536f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref byte row, nuint at) => ScaledF16Load.Load(ref row, at) * Vector512.Create(Scale);

    public static int Size => 2;

    public static float XScale => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Seen(Vector512<float> seen, Vector512<float> v) => Avx512DQ.Range(seen, v, 0b1011); // |larger|

    /// <summary>The same trick on one value, with exponent 31 made infinity or NaN (no call: a call in a kernel makes
    /// the JIT keep its vectors on the stack).</summary>
    public static float One(ref byte row, nuint at)
    {
        int h = Unsafe.Add(ref Unsafe.As<byte, short>(ref row), at);
        if ((h & 0x7C00) == 0x7C00) return BitConverter.Int32BitsToSingle((h & 0x8000) << 16 | 0x7F800000 | (h & 0x3FF) << 13);
        return BitConverter.Int32BitsToSingle((h << 13) & FloatConvert.F16Bits) * Scale;
    }

    public static bool Exact(Vector512<float> seen) => Vector512.LessThanAll(seen, Vector512.Create(Limit));
}

/// <summary>
/// f16 without the multiply: the loaded vector is the value times 2^-112 (exact, as in <see cref="F16Load"/>), and the
/// kernel multiplies x by 2^112 instead, once per x value rather than per weight; the products are the same real
/// numbers, so every sum rounds as with <see cref="F16Load"/>. Taken where |x| &lt; 2^15 (x times 2^112 stays finite).
/// </summary>
internal readonly struct ScaledF16Load : IVectorLoad
{
    private const float Limit = 1.2621775e-29f; // 2^-96: 65,536 times 2^-112

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref byte row, nuint at)
    {
        var h = Vector256.LoadUnsafe(ref Unsafe.As<byte, short>(ref row), at);
        return (Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(h), 13) & Vector512.Create(FloatConvert.F16Bits)).AsSingle();
    }

    public static int Size => 2;

    public static float XScale => F16Load.Scale;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Seen(Vector512<float> seen, Vector512<float> v) => F16Load.Seen(seen, v);

    public static float One(ref byte row, nuint at) => F16Load.One(ref row, at);

    public static bool Exact(Vector512<float> seen) => Vector512.LessThanAll(seen, Vector512.Create(Limit));

    /// <summary>Whether x (its first <paramref name="n"/> values) may be scaled: all finite and under 2^15.</summary>
    public static bool Takes(float[] x, int n) => System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x.AsSpan(0, n)) < 32768f;
}

internal static unsafe class VectorLoads
{
    /// <summary>Asks for the cache line at element <paramref name="at"/> (a hint: never faults, even past the end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch<L>(ref byte row, nuint at) where L : IElementLoad =>
        Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, at * (nuint)L.Size)));

    /// <summary>The same place in the next four rows: the hardware prefetcher stops at each page's end, and a row of
    /// 2,048 f16 values is one page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchRows<L>(ref byte row, nuint at, nuint stride) where L : IVectorLoad
    {
        Prefetch<L>(ref row, at);
        Prefetch<L>(ref row, at + stride);
        Prefetch<L>(ref row, at + 2 * stride);
        Prefetch<L>(ref row, at + 3 * stride);
    }

    /// <summary>Whether the in-register kernels take this dtype on this CPU.</summary>
    public static bool Takes(DType d) =>
        Vector512.IsHardwareAccelerated && Avx512DQ.IsSupported && d is DType.F32 or DType.F16 or DType.BF16;

    /// <summary>Whether the 256-bit loads (<see cref="IVectorLoad256"/>) take this dtype on this CPU.</summary>
    public static bool Takes256(DType d) => Avx2.IsSupported && d is DType.F32 or DType.F16 or DType.BF16;

    public static ref byte At(TensorInfo t, long element, long count) =>
        ref MemoryMarshal.GetReference(t.Data.Span(element * t.DType.Size(), checked((int)(count * t.DType.Size()))));
}
