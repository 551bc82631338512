using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// The source rows of a panel's next input block, asked for into L2 a slice at a time while the kernel works on this
/// block: loading a panel from memory cold cost a quarter of a prefill matmul's time (bench/README). Only hints: a
/// prefetch never faults, and one into a page not yet mapped is dropped.
/// </summary>
internal readonly unsafe struct PanelAhead
{
    private readonly byte* _at;
    private readonly long _stride;
    private readonly int _rows, _rowBytes;

    private PanelAhead(byte* at, long stride, int rows, int rowBytes)
    {
        _at = at;
        (_stride, _rows, _rowBytes) = (stride, rows, rowBytes);
    }

    /// <summary>Input block [kb, kb+kLen) (kLen: block, or the inputs left) of outputs [start, start+count) of an
    /// [outputs, inputs] block (a slice of each of count rows), or nothing where kb is past the inputs.</summary>
    public static PanelAhead Of(LinearBlock b, int inputs, int kb, int block, int start, int count)
    {
        if (kb >= inputs || !Sse.IsSupported) return default;
        int kLen = Math.Min(block, inputs - kb), es = b.Tensor.DType.Size();
        long first = b.Offset + (long)start * inputs + kb, span = (long)(count - 1) * inputs + kLen;
        var at = (byte*)Unsafe.AsPointer(ref VectorLoads.At(b.Tensor, first, span));
        return new(at, (long)inputs * es, count, kLen * es);
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/>: its share of the rows, every line of each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public void Part(int part, int parts)
    {
        if (_at == null) return;
        for (long r = (long)_rows * part / parts, last = (long)_rows * (part + 1) / parts; r < last; r++)
        {
            byte* row = _at + r * _stride, end = row + _rowBytes;
            for (byte* line = (byte*)((nint)row & ~63); line < end; line += 64) Sse.Prefetch1(line);
        }
    }
}
