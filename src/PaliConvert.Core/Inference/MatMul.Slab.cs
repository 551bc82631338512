using System.Buffers;
using System.Runtime.InteropServices;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// [inputs, outputs] weights against many rows, an input block at a time: the block's rows, all outputs, are one
/// contiguous run of the file, read (not mapped) into a buffer while the cores work on the one before; each panel
/// is widened from that buffer. Through the map every weight page was a first-touch fault and a TLB walk, which
/// under a VM's shadow paging cost several times a read of the same bytes (bench/README.md, "Reading the weights").
/// </summary>
public static partial class MatMul
{
    /// <summary>A slab's bytes at most; wider rows take smaller input blocks.</summary>
    private const int SlabBytes = 8 << 20;

    private static void Slabs(LinearBlock b, float[] x, float[]? xp, int s, int n, float[] y, int yStride)
    {
        int es = b.Tensor.DType.Size(), width = PanelWidth(b.OutCount);
        long rowBytes = (long)b.OutCount * es;
        int rowsPer = (int)Math.Clamp(SlabBytes / rowBytes / 16 * 16, 16, KBlock);
        var pool = ArrayPool<byte>.Shared;
        byte[] cur = pool.Rent((int)(rowsPer * rowBytes)), next = pool.Rent((int)(rowsPer * rowBytes));
        try
        {
            ReadSlab(b, 0, Math.Min(rowsPer, n), cur);
            for (int kb = 0; kb < n; kb += rowsPer)
            {
                int kLen = Math.Min(rowsPer, n - kb), nk = kb + rowsPer;
                var buffer = cur;
                var ahead = nk < n ? Task.Run(() => ReadSlab(b, nk, Math.Min(rowsPer, n - nk), next)) : null;
                int panels = (b.OutCount + width - 1) / width;
                Parallel.For(0, panels, t =>
                {
                    int start = t * width, count = Math.Min(width, b.OutCount - start);
                    var p = TileBuffer(PanelMax * KBlock);
                    PanelFromRows(b.Tensor.DType, buffer.AsSpan((int)(start * es)), b.OutCount, kLen, count, p);
                    if (xp != null) PanelKernel512(xp, s, n, kb, kLen, p, count, y, yStride, b.OutStart + start, default);
                    else PanelKernel(x, s, n, kb, kLen, p, count, y, yStride, b.OutStart + start, default);
                });
                ahead?.Wait();
                (cur, next) = (next, cur);
            }
        }
        finally
        {
            pool.Return(cur);
            pool.Return(next);
        }
    }

    private static void ReadSlab(LinearBlock b, int kb, int kLen, byte[] slab)
    {
        int es = b.Tensor.DType.Size();
        b.Tensor.Data.Read((b.Offset + (long)kb * b.OutCount) * es, slab.AsSpan(0, (int)((long)kLen * b.OutCount * es)));
    }

    /// <summary>
    /// Columns [0, count) of kLen rows <paramref name="stride"/> values apart (dtype d) into groups of 16 columns,
    /// each [kLen, 16], zeros past count: in registers where the CPU takes d and that was exact, else converted.
    /// </summary>
    private static void PanelFromRows(DType d, ReadOnlySpan<byte> w, int stride, int kLen, int count, float[] panel)
    {
        ref byte at = ref MemoryMarshal.GetReference(w);
        if (VectorLoads.Takes(d) && d switch
            {
                DType.F16 => PanelRows<F16Load>(ref at, stride, kLen, count, panel),
                DType.BF16 => PanelRows<Bf16Load>(ref at, stride, kLen, count, panel),
                _ => PanelRows<F32Load>(ref at, stride, kLen, count, panel),
            }) return;
        int groups = (count + Cols - 1) / Cols, es = d.Size();
        Span<float> row = stackalloc float[groups * Cols];
        row[count..].Clear();
        for (int k = 0; k < kLen; k++)
        {
            FloatConvert.ToF32(d, w.Slice(k * stride * es, count * es), row[..count]);
            for (int g = 0; g < groups; g++) row.Slice(g * Cols, Cols).CopyTo(panel.AsSpan((g * kLen + k) * Cols, Cols));
        }
    }
}
