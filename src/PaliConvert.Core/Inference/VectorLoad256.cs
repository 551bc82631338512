using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// Eight stored weights widened to f32 in 256-bit registers, for the panels of a CPU without AVX-512: as
/// <see cref="IVectorLoad"/>, <c>Seen</c> gathers what the exact check needs, and a false <c>Exact</c> has the caller
/// convert the panel again through <see cref="FloatConvert"/>.
/// </summary>
internal interface IVectorLoad256 : IElementLoad
{
    static abstract Vector256<float> Load(ref byte row, nuint at);

    static abstract Vector256<float> Seen(Vector256<float> seen, Vector256<float> v);

    static abstract bool Exact(Vector256<float> seen);
}

internal readonly struct F32Load256 : IVectorLoad256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref byte row, nuint at) => Vector256.LoadUnsafe(ref Unsafe.As<byte, float>(ref row), at);

    public static int Size => 4;

    public static Vector256<float> Seen(Vector256<float> seen, Vector256<float> v) => seen;

    public static float One(ref byte row, nuint at) => F32Load.One(ref row, at);

    public static bool Exact(Vector256<float> seen) => true;
}

internal readonly struct Bf16Load256 : IVectorLoad256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref byte row, nuint at)
    {
        var h = Vector128.LoadUnsafe(ref Unsafe.As<byte, ushort>(ref row), at);
        return Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(h), 16).AsSingle();
    }

    public static int Size => 2;

    public static Vector256<float> Seen(Vector256<float> seen, Vector256<float> v) => seen;

    public static float One(ref byte row, nuint at) => Bf16Load.One(ref row, at);

    public static bool Exact(Vector256<float> seen) => true;
}

/// <summary>f16 by the shift and multiply of <see cref="F16Load"/>; <c>seen</c> keeps the largest magnitude, which
/// reaches 65,536 only where a vector held infinity or NaN.</summary>
internal readonly struct F16Load256 : IVectorLoad256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref byte row, nuint at)
    {
        var h = Vector128.LoadUnsafe(ref Unsafe.As<byte, short>(ref row), at);
        var bits = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(h), 13) & Vector256.Create(FloatConvert.F16Bits);
        return bits.AsSingle() * Vector256.Create(FloatConvert.F16Scale);
    }

    public static int Size => 2;

    /// <summary>vmaxps, not Vector256.Max (which orders NaN and -0 at a cost): the widened values hold no NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Seen(Vector256<float> seen, Vector256<float> v) => Avx.Max(seen, Vector256.Abs(v));

    public static float One(ref byte row, nuint at) => F16Load.One(ref row, at);

    public static bool Exact(Vector256<float> seen) => Vector256.LessThanAll(seen, Vector256.Create(F16Load.Limit));
}
