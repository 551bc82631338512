using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PaliConvert.Tensors;

namespace PaliConvert.Tensors;

/// <summary>
/// Streams a <see cref="TensorView"/> in row-major order: contiguous rows are copied, transposed ones are gathered in
/// 64x64 tiles so reads stay cache-friendly; each block is converted to the output dtype and written. Memory is a
/// few blocks of rows, whatever the tensor's size.
/// </summary>
public sealed partial class ViewGather
{
    private const int Tile = 64;

    /// <summary>A block whose source spans at most this is read a row of tiles at a time (it stays in cache).</summary>
    private const long CachedSourceBytes = 8L << 20;

    /// <summary>
    /// A strided view spanning more than this is released tile by tile: each block of output rows sweeps the whole
    /// source (a transposed vocabulary matrix), which would otherwise stay resident until the tensor is done.
    /// </summary>
    private const long HugeBytes = 256L << 20;
    private byte[] _raw = [];
    private byte[] _out = [];
    private float[] _scratch = [];
    private readonly DeltaGather _delta = new();

    public void Write(TensorView v, DType to, Stream output)
    {
        var src = v.Source;
        int es = src.DType.Size();
        int rank = v.Shape.Length;
        long rows = rank >= 2 ? v.Shape[rank - 2] : 1, cols = rank >= 1 ? v.Shape[rank - 1] : 1;
        long rs = rank >= 2 ? v.Strides[rank - 2] : 0, cs = rank >= 1 ? v.Strides[rank - 1] : 0;
        int blockRows = (int)Math.Max(1, Math.Min(rows, Math.Max(Tile, (1 << 22) / Math.Max(1, cols))));
        if (blockRows < rows) blockRows = blockRows / Tile * Tile; // whole tiles: the vectorized transpose takes only those
        Ensure(blockRows * cols, es, to);
        bool huge = (Extent(v) + 1) * es > HugeBytes;
        long ordinal = 0;
        foreach (long outer in v.OuterOffsets())
        {
            for (long r0 = 0; r0 < rows; r0 += blockRows)
            {
                int nr = (int)Math.Min(blockRows, rows - r0);
                int n = checked((int)(nr * cols));
                var raw = _raw.AsSpan(0, n * es);
                long baseOff = v.Offset + outer + r0 * rs;
                if (cs == 1 && rs == cols && src.DType == to && v.Delta == null)
                {
                    output.Write(src.Data.Span(baseOff * es, n * es)); // plain rows in the output's dtype: no copy of ours
                    src.Data.Release(baseOff * es, (long)n * es);
                    continue;
                }
                if (cs == 1)
                {
                    CopyRows(src, baseOff, rs, nr, cols, es, raw);
                    src.Data.Release(baseOff * es, ((nr - 1) * rs + cols) * es); // rows are read once: let them go
                }
                else if (es == 4) GatherTiles<uint>(src, baseOff, rs, cs, nr, cols, _raw, huge);
                else if (es == 2) GatherTiles<ushort>(src, baseOff, rs, cs, nr, cols, _raw, huge);
                else if (es == 8) GatherTiles<ulong>(src, baseOff, rs, cs, nr, cols, _raw, huge);
                else GatherTiles<byte>(src, baseOff, rs, cs, nr, cols, _raw, huge);
                if (v.Delta != null) Merge(v.Delta, src.DType, raw, (ordinal * rows + r0) * cols, to, n, output);
                else Emit(src.DType, raw, to, n, output);
            }
            ordinal++;
        }
        if (v.PadRowsTo > rows) WriteMeanRows(v, to, output);
        src.Data.Release(v.Offset * es, (Extent(v) + 1) * es);
    }

    /// <summary>Starts reading a view's source bytes into the page cache (MappedFile.WillNeed): see ReadAhead.</summary>
    public static void Prefetch(TensorView v) => v.Source.Data.WillNeed(v.Offset * v.Source.DType.Size(), SourceBytes(v));

    /// <summary>Bytes of the source a view spans.</summary>
    public static long SourceBytes(TensorView v) => (Extent(v) + 1) * v.Source.DType.Size();

    /// <summary>Largest element offset the view reaches, relative to its start.</summary>
    private static long Extent(TensorView v)
    {
        long e = 0;
        for (int k = 0; k < v.Shape.Length; k++) e += Math.Max(0, v.Shape[k] - 1) * v.Strides[k];
        return e;
    }

    private void Emit(DType from, ReadOnlySpan<byte> raw, DType to, int n, Stream output)
    {
        if (from == to) { output.Write(raw); return; }
        if (n < 1 << 20) ConvertPart(from, to, 0, n);
        else // a large block converts on every core
        {
            int per = (n + Environment.ProcessorCount - 1) / Environment.ProcessorCount;
            Parallel.For(0, Environment.ProcessorCount, p => ConvertPart(from, to, p * per, Math.Min(per, n - p * per)));
        }
        output.Write(_out.AsSpan(0, n * to.Size()));
    }

    /// <summary>A block widened to float32, its LoRA update merged, then rounded to the output dtype once.</summary>
    private void Merge(TensorDelta delta, DType from, ReadOnlySpan<byte> raw, long first, DType to, int n, Stream output)
    {
        var values = _scratch.AsSpan(0, n); // the block's float32 values (ConvertPart, which also uses it, does not run here)
        FloatConvert.ToF32(from, raw, values);
        _delta.Apply(delta, first, values);
        var bytes = _out.AsSpan(0, n * to.Size());
        FloatConvert.FromF32(to, values, bytes);
        output.Write(bytes);
    }

    private void ConvertPart(DType from, DType to, int start, int count)
    {
        if (count <= 0) return;
        FloatConvert.Convert(from, _raw.AsSpan(start * from.Size(), count * from.Size()), to,
            _out.AsSpan(start * to.Size(), count * to.Size()), _scratch.AsSpan(start, count));
    }

    private static void CopyRows(TensorInfo src, long off, long rs, int nr, long cols, int es, Span<byte> raw)
    {
        int rowBytes = checked((int)(cols * es));
        if (rs == cols) { src.Data.Span(off * es, nr * rowBytes).CopyTo(raw); return; }
        for (int r = 0; r < nr; r++) src.Data.Span((off + r * rs) * es, rowBytes).CopyTo(raw.Slice(r * rowBytes, rowBytes));
    }

    /// <summary>
    /// A block's tiles are split between the cores by rows of tiles (each core its own output rows) where the source
    /// they read stays in cache, and by columns of tiles where it does not: a core then reads 64 source rows along the
    /// block before the next 64, rather than sweeping the whole source once per tile row (1.35x on the 3B's MLP
    /// weights, no change on the 10B's: bench/README.md, "The gather's transpose").
    /// </summary>
    private static void GatherTiles<T>(TensorInfo src, long off, long rs, long cs, int nr, long cols, byte[] raw, bool release)
        where T : unmanaged
    {
        int tileRows = (nr + Tile - 1) / Tile, tileCols = (int)((cols + Tile - 1) / Tile);
        bool byRows = cols * Math.Abs(cs) * Unsafe.SizeOf<T>() <= CachedSourceBytes;
        int units = byRows ? tileRows : tileCols, across = byRows ? tileCols : tileRows;
        if (units == 1 || nr * cols < (1 << 16))
            for (int u = 0; u < units; u++) Tiles<T>(src, off, rs, cs, nr, cols, raw, u, across, byRows, release);
        else Parallel.For(0, units, u => Tiles<T>(src, off, rs, cs, nr, cols, raw, u, across, byRows, release));
    }

    /// <summary>One row (or column) of tiles of a block: the <paramref name="across"/> tiles along it.</summary>
    private static unsafe void Tiles<T>(TensorInfo src, long off, long rs, long cs, int nr, long cols, byte[] raw,
        int u, int across, bool byRows, bool release) where T : unmanaged
    {
        int es = sizeof(T);
        T* tile = stackalloc T[Tile * Tile];
        fixed (byte* output = raw)
            for (int i = 0; i < across; i++)
            {
                int r0 = (byRows ? u : i) * Tile, tr = Math.Min(Tile, nr - r0);
                long c0 = (long)(byRows ? i : u) * Tile;
                int tc = (int)Math.Min(Tile, cols - c0);
                long first = off + r0 * rs + c0 * cs, last = first + (tr - 1) * rs + (tc - 1) * cs;
                fixed (byte* input = src.Data.Span(first * es, checked((int)((last - first + 1) * es))))
                    TileAt((T*)input, rs, cs, tr, tc, tile, (T*)output + r0 * cols + c0, cols);
                if (release) src.Data.Release(first * es, (last - first + 1) * es);
            }
    }

    /// <summary>
    /// One tile, transposed into a small buffer first: rows of the output lie a power of two apart, so writing a column
    /// straight into them would map every write to one cache set. Pointers, not spans: the caller's span checked the
    /// extent, and the innermost loop has no bounds checks.
    /// </summary>
    private static unsafe void TileAt<T>(T* s, long rs, long cs, int tr, int tc, T* tile, T* d, long cols) where T : unmanaged
    {
        int es = sizeof(T);
        if (typeof(T) == typeof(ushort) && rs == 1 && tr == Tile && tc == Tile && TileTranspose.Supported)
            TileTranspose.Tile64((ushort*)s, cs, (ushort*)tile);
        else
            for (int c = 0; c < tc; c++)
            {
                T* from = s + c * cs, to = tile + c;
                for (int r = 0; r < tr; r++, from += rs, to += Tile) *to = *from;
            }
        for (int r = 0; r < tr; r++) Buffer.MemoryCopy(tile + r * Tile, d + r * cols, tc * es, tc * es);
    }

    private void Ensure(long elements, int es, DType to)
    {
        if (_raw.Length < elements * es) _raw = new byte[elements * es];
        if (_out.Length < elements * to.Size()) _out = new byte[elements * to.Size()];
        if (_scratch.Length < elements) _scratch = new float[elements];
    }
}
