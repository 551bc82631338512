using System.Buffers;
using System.Runtime.InteropServices;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// [inputs, outputs] weights against many rows, an input block at a time: the block's rows, all outputs, are one
/// contiguous run of the file, read (not mapped) into a buffer by the workers that compute, its reads being items of
/// one queue with the panels (<see cref="SlabPipeline"/>); each panel is widened from that buffer. Through the
/// map every weight page was a first-touch fault and a TLB walk, which under a VM's shadow paging cost several times
/// a read of the same bytes (bench/README.md, "Reading the weights").
/// </summary>
public static partial class MatMul
{
    /// <summary>A slab's bytes at most (wider rows take smaller input blocks), and its input rows at most: every slab is
    /// one more pass over the sums, and a 3B's gate and up (32 KB rows of f16) in 16 MB slabs make 4 passes over their
    /// 17.8 MB of sums, not 8 (with the panel rows prefetched, 0.94x the pass's wall on AVX-512; bench/README). The
    /// 256-bit kernel's slabs are twice that (2 passes; its 3B pass about 0.95x on a Zen 2, peak 212 -> 268 MB).</summary>
    private static (int Bytes, int Rows) SlabSize(Packed xp) => xp.Height == Wide12 ? (16 << 20, 512) : (32 << 20, SlabRowsMax);

    private const int SlabRowsMax = 1024;

    /// <summary>
    /// Input rows per slab: n split evenly into as few blocks of at most <paramref name="most"/> as it takes, in
    /// multiples of 8. Every block is one more pass over the sums; 1,152 inputs as 256-row blocks left a last one of
    /// 128, and now are four of 288.
    /// </summary>
    internal static int SlabRows(int n, int most)
    {
        int blocks = (n + most - 1) / most;
        return Math.Min(most, ((n + blocks - 1) / blocks + 7) / 8 * 8);
    }

    /// <summary>
    /// All [in, out] blocks of a linear together (a Gemma query is one block per head): a slab holds the same input
    /// rows of each, one after the other, and its panels, as wide as the whole output allows, span every block.
    /// </summary>
    private static void Slabs(IReadOnlyList<LinearBlock> blocks, Packed xp, int s, int n, float[] y, int yStride)
    {
        long rowBytes = blocks.Sum(b => (long)b.OutCount * b.Tensor.DType.Size());
        var (slabBytes, rowsMost) = SlabSize(xp);
        int rowsPer = SlabRows(n, (int)Math.Clamp(slabBytes / rowBytes / 16 * 16, 16, rowsMost));
        int width = PanelWidth(blocks.Sum(b => b.OutCount)), groups = 0;
        var panels = new List<SlabPanel>();
        long at = 0; // each block's place in a slab, per input row
        foreach (var b in blocks)
        {
            for (int o = 0, count; o < b.OutCount; o += width, groups += GroupsOf(count))
                panels.Add(new(b, at, o, count = Math.Min(width, b.OutCount - o), groups));
            at += (long)b.OutCount * b.Tensor.DType.Size();
        }
        var (last, lastOf) = LastPanels(panels);
        int slabs = (n + rowsPer - 1) / rowsPer;
        var reads = Enumerable.Range(0, slabs).Select(k => SlabReads(blocks, k * rowsPer, Math.Min(rowsPer, n - k * rowsPer))).ToArray();
        var pool = ArrayPool<byte>.Shared;
        // one size for every linear: the pool keeps one bucket of buffers, not one per product shape
        int size = (int)Math.Max(slabBytes, rowsPer * rowBytes);
        var buffers = Enumerable.Range(0, Math.Min(slabs, SlabPipeline.Buffers)).Select(_ => pool.Rent(size)).ToArray();
        var sums = xp.Height != Wide12 ? ArrayPool<float>.Shared.Rent(groups * s * Cols) : null;
        try
        {
            new SlabPipeline(slabs, panels.Count, reads.Select(r => r.Count).ToArray(), lastOf).Run(Environment.ProcessorCount,
                (k, r) => Read(reads[k][r], buffers[k % buffers.Length]), (k, t) =>
                {
                    int kb = k * rowsPer, kLen = Math.Min(rowsPer, n - kb);
                    var (b, rowAt, start, count, group) = k == slabs - 1 ? last[t] : panels[t];
                    int es = b.Tensor.DType.Size();
                    var p = TileBuffer(PanelMax * SlabRowsMax);
                    var slab = buffers[k % buffers.Length].AsSpan((int)(rowAt * kLen + (long)start * es));
                    PanelFromRows(b.Tensor.DType, slab, b.OutCount, kLen, count, p);
                    var to = sums != null ? Sums.Groups(sums, s, group) : Sums.Rows(y, yStride, b.OutStart + start);
                    PanelKernel(xp, s, n, kb, kLen, p, count, to, default);
                    if (sums != null && k == slabs - 1) Scatter(sums, s, group, count, y, yStride, b.OutStart + start);
                });
        }
        finally
        {
            foreach (var buffer in buffers) pool.Return(buffer);
            if (sums != null) ArrayPool<float>.Shared.Return(sums);
        }
    }

    /// <summary>Outputs [Start, Start+Count) of a block, at At in each slab row; its sums' groups from Group on.</summary>
    private readonly record struct SlabPanel(LinearBlock Block, long At, int Start, int Count, int Group);

    /// <summary>
    /// The last slab's panels: the last two per core as pieces of 32 outputs, so that the cores finish a product within
    /// a piece of each other (a whole last panel, a 1,024-row one of a 3B's gate about 2 ms, idled the other core
    /// once a product). Each piece with the panel it is part of, whose sums it adds to.
    /// </summary>
    private static (List<SlabPanel> Panels, int[] Of) LastPanels(List<SlabPanel> panels)
    {
        var last = new List<SlabPanel>();
        var of = new List<int>();
        int whole = Math.Max(0, panels.Count - 2 * Environment.ProcessorCount);
        for (int t = 0; t < panels.Count; t++)
        {
            var panel = panels[t];
            for (int o = 0, step = t < whole ? panel.Count : LastPiece; o < panel.Count; o += step)
            {
                last.Add(panel with { Start = panel.Start + o, Count = Math.Min(step, panel.Count - o), Group = panel.Group + o / Cols });
                of.Add(t);
            }
        }
        return (last, of.ToArray());
    }

    private const int LastPiece = 32;

    /// <summary>A read's bytes at most, so that the cores share a slab's reads.</summary>
    private const int ReadPiece = 1 << 20;

    /// <summary>The reads that fill a slab with input rows [kb, kb+kLen) of each block, one block's after the other's:
    /// (block, file offset within its data, place in the slab, bytes).</summary>
    private static List<(LinearBlock Block, long From, int To, int Bytes)> SlabReads(IReadOnlyList<LinearBlock> blocks, int kb,
        int kLen)
    {
        var reads = new List<(LinearBlock, long, int, int)>();
        int to = 0;
        foreach (var b in blocks)
        {
            int es = b.Tensor.DType.Size(), bytes = (int)((long)kLen * b.OutCount * es);
            long from = (b.Offset + (long)kb * b.OutCount) * es;
            for (int done = 0; done < bytes; done += ReadPiece) reads.Add((b, from + done, to + done, Math.Min(ReadPiece, bytes - done)));
            to += bytes;
        }
        return reads;
    }

    private static void Read((LinearBlock Block, long From, int To, int Bytes) r, byte[] slab) =>
        r.Block.Tensor.Data.Read(r.From, slab.AsSpan(r.To, r.Bytes));

    /// <summary>
    /// Columns [0, count) of kLen rows <paramref name="stride"/> values apart (dtype d) into groups of 16 columns,
    /// each [kLen, 16], zeros past count: in registers where the CPU takes d and that was exact, else converted.
    /// </summary>
    private static void PanelFromRows(DType d, ReadOnlySpan<byte> w, int stride, int kLen, int count, float[] panel)
    {
        ref byte at = ref MemoryMarshal.GetReference(w);
        bool done = VectorLoads.Takes(d) ? d switch
            {
                DType.F16 => PanelRows<F16Load>(ref at, stride, kLen, count, panel),
                DType.BF16 => PanelRows<Bf16Load>(ref at, stride, kLen, count, panel),
                _ => PanelRows<F32Load>(ref at, stride, kLen, count, panel),
            }
            : VectorLoads.Takes256(d) && d switch
            {
                DType.F16 => PanelRows256<F16Load256>(ref at, stride, kLen, count, panel),
                DType.BF16 => PanelRows256<Bf16Load256>(ref at, stride, kLen, count, panel),
                _ => PanelRows256<F32Load256>(ref at, stride, kLen, count, panel),
            };
        if (done) return;
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
