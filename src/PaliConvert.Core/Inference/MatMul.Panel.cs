using System.Buffers;
using PaliConvert.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PaliConvert.Inference;

/// <summary>
/// A panel of up to 256 outputs is widened into groups of 16 columns, each group's [In, 16] slice contiguous (zeros
/// past the last output): from weights stored [inputs, outputs] (big_vision's kernels) row by row, each row a
/// contiguous run; from [outputs, inputs] (Hugging Face's) 16 output rows at a time, interleaved. A 6 x 16 kernel
/// broadcasts one x value against the two vectors of a slice row: 12 accumulators, 2 loads and 6 broadcasts per 12
/// FMAs, all in the 16 AVX registers; x is packed in blocks of 6 rows (MatMul.Pack.cs), whose 6 rows 8 KB apart had
/// shared one L1 set with the slice's lines (on a 256-bit Zen 2, decoder products 1.2-1.5x faster packed).
/// </summary>
public static partial class MatMul
{
    private const int PanelMax = 256, Rows = 6, Cols = 16;
    /// <summary>
    /// Inputs per block of an [out, in] panel: 1,024 for the 256-bit kernel (each kernel call's sums and set-up spread
    /// over four times the steps: a vision-tower panel 1.2x as fast as at 256, bench/README), 256 under AVX-512 (its
    /// kernel's 32 columns make a 1,024-input slice 128 KB).
    /// </summary>
    private static int KBlock(Packed xp) => xp.Height == Wide12 ? 256 : KBlockMax;

    private const int KBlockMax = 1024;

    /// <summary>
    /// Panel width: the widest multiple of 32 up to 256 that gives every core about four panels (which one finishes
    /// first varies) and shares them out within 3 % of an even split (1,152 outputs as 160-wide panels left one core a
    /// fifth more work than the other).
    /// </summary>
    private static int PanelWidth(int outputs)
    {
        int pairs = (outputs + 31) / 32, cores = Environment.ProcessorCount;
        double even = Math.Ceiling(pairs / (double)cores);
        for (int w = Math.Min(PanelMax / 32, pairs / (4 * cores)); w > 1; w--)
            if (Math.Ceiling(Math.Ceiling(pairs / (double)w) / cores) * w <= even * 1.03) return w * 32;
        return 32;
    }

    [ThreadStatic] private static float[]? _rows;

    /// <summary>The rows' stride in that buffer on AVX2: a cache line past the block, so that 16 rows of 1,024 inputs
    /// do not share L1 sets as the transpose reads them across (the 3B's f32 pass 0.98x, 3 pairs).</summary>
    private const int RowsStride = KBlockMax + 16;

    /// <summary>A panel's rows read whole at most: an [out, in] panel's outputs are one contiguous run of the file.</summary>
    private const int PanelReadMax = 2 << 20;

    /// <summary>
    /// Outputs [start, start+count) of a block, one input block at a time (each 16-column slice of a block, 64 KB at most, stays in L2),
    /// against x packed for the kernel that runs. The panel's rows are read (not mapped: bench/README.md, "Reading
    /// the weights") into a per-thread buffer first where they fit in 2 MB (a 3B's gate, up and attention panels;
    /// 8 MB buffers, kept by each pool thread that ran panels, cost 35 MB at peak), else widened from the map with the
    /// next block's rows prefetched. The 256-bit kernel adds to the panel's sums in groups (<see cref="Sums"/>), into y at the end.
    /// </summary>
    private static void Panel(LinearBlock b, Packed xp, int s, int n, int start, int count, float[] p, float[] y,
        int yStride, bool release)
    {
        int es = b.Tensor.DType.Size();
        long bytes = (long)count * n * es, at = (b.Offset + (long)start * n) * es;
        var read = bytes <= PanelReadMax ? ByteBuffer((int)bytes) : null; // per thread, kept: one per core runs panels
        if (read != null) b.Tensor.Data.Read(at, read.AsSpan(0, (int)bytes));
        var sums = xp.Height != Wide12 ? ArrayPool<float>.Shared.Rent(GroupsOf(count) * s * Cols) : null;
        var to = sums != null ? Sums.Groups(sums, s, 0) : Sums.Rows(y, yStride, b.OutStart + start);
        int block = KBlock(xp);
        for (int kb = 0; kb < n; kb += block)
        {
            int kLen = Math.Min(block, n - kb);
            LoadPanel(b.Tensor.DType, read != null ? read.AsSpan(0, (int)bytes) : b.Tensor.Data.Span(at, checked((int)bytes)), n, kb,
                kLen, count, p);
            var ahead = read != null ? default : PanelAhead.Of(b, n, kb + block, block, start, count);
            PanelKernel(xp, s, n, kb, kLen, p, count, to, ahead);
        }
        if (sums != null)
        {
            Scatter(sums, s, 0, count, y, yStride, b.OutStart + start);
            ArrayPool<float>.Shared.Return(sums);
        }
        if (read == null && release) b.Tensor.Data.Release(at, bytes); // one release per panel: per 16 rows split huge pages
    }

    /// <summary>Inputs [kb, kb+kLen) of a panel's <paramref name="count"/> rows (dtype d, <paramref name="inputs"/>
    /// values each: read, or mapped) as groups of 16 columns, each [kLen, 16].</summary>
    private static void LoadPanel(DType d, ReadOnlySpan<byte> read, int inputs, int kb, int kLen, int count, float[] panel)
    {
        int groups = (count + Cols - 1) / Cols, es = d.Size();
        var rows = _rows ??= new float[Cols * RowsStride];
        int stride = Avx512F.IsSupported ? kLen : RowsStride;
        for (int g = 0; g < groups; g++)
        {
            int n = Math.Min(Cols, count - g * Cols);
            var slice = panel.AsSpan(g * kLen * Cols, kLen * Cols);
            if (n == Cols && Transposed(d, read.Slice((g * Cols * inputs + kb) * es, ((Cols - 1) * inputs + kLen) * es), inputs, kLen,
                    slice)) continue;
            for (int o = 0; o < n; o++)
                Widen(d, read.Slice(((g * Cols + o) * inputs + kb) * es, kLen * es), rows.AsSpan(o * stride, kLen));
            if (n < Cols) slice.Clear();
            Transpose(rows, n, kLen, stride, slice);
        }
    }

    /// <summary>
    /// A group's 16 rows of f16 or bf16 (from <paramref name="rows"/>, <paramref name="inputs"/> values apart) widened
    /// and transposed at once, on AVX2 without AVX-512 (there, <see cref="Transpose"/> takes 16 x 16 blocks); false
    /// where the CPU does not take d, or the widening was not exact. Not f32: its 16 rows up to 64 KB apart share L1
    /// sets, and read so, the 3B's f32 pass was 1.12x slower than copied row by row first (bench/README.md).
    /// </summary>
    private static bool Transposed(DType d, ReadOnlySpan<byte> rows, int inputs, int kLen, Span<float> slice)
    {
        if (Avx512F.IsSupported || !VectorLoads.Takes256(d)) return false; // as Transpose: 16 x 16 there
        ref byte at = ref MemoryMarshal.GetReference(rows);
        return d switch
        {
            DType.F16 => TransposeGroup<F16Load256>(ref at, (nuint)inputs, kLen, slice),
            DType.BF16 => TransposeGroup<Bf16Load256>(ref at, (nuint)inputs, kLen, slice),
            _ => false,
        };
    }

    /// <summary>Whether the 512-bit kernel runs: the CPU has AVX-512 and the caller did not ask for the 256-bit one.</summary>
    private static bool Wide(bool allowed) => allowed && Vector512.IsHardwareAccelerated;

    /// <summary>A panel's input block by all of x, through the kernel x was packed for.</summary>
    private static void PanelKernel(Packed xp, int s, int n, int kb, int kLen, float[] p, int cols, Sums y, PanelAhead ahead)
    {
        if (xp.Height != Wide12) PanelKernel256(xp.Data, s, n, kb, kLen, p, cols, y, ahead);
        else if (y.GroupStride == Cols) PanelKernel512(xp.Data, s, n, kb, kLen, p, cols, y.Y, y.RowStride, y.At, ahead);
        else throw new InvalidOperationException("the 512-bit kernel stores 32 columns of a row at once: sums in rows only");
    }

    private static void PanelKernel256(float[] xp, int s, int n, int kb, int kLen, float[] p, int cols, Sums y, PanelAhead ahead)
    {
        int groups = GroupsOf(cols);
        for (int g = 0; g < groups; g++)
        {
            ahead.Part(g, groups);
            int valid = Math.Min(Cols, cols - g * Cols), pAt = g * kLen * Cols, yAt = y.At + g * y.GroupStride;
            for (int i = 0; i < s; i += Rows)
                Block6(xp, i * n + kb * Rows, kLen, p, pAt, y.Y, y.RowStride, i * y.RowStride + yAt, kb > 0, valid, Math.Min(Rows, s - i));
        }
    }

    /// <summary>A block of 6 packed rows (the missing ones zeros, not stored) by one 16-column group over inputs
    /// [kb, kb+kLen), added to y where an earlier input block wrote it.</summary>
    [SkipLocalsInit]
    private static void Block6(float[] xp, int xAt, int kLen, float[] p, int pAt, float[] y, int yStride, int yAt, bool add,
        int valid, int rows)
    {
        Span<Vector256<float>> acc = stackalloc Vector256<float>[2 * Rows]; // made before the loop: see Block12
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
        Vector256<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
        ref float xr = ref xp[xAt];
        ref float pr = ref p[pAt];
        for (nuint k = 0, pk = 0; k < (nuint)kLen; k++, pk += Cols)
        {
            var lo = Vector256.LoadUnsafe(ref pr, pk);
            var hi = Vector256.LoadUnsafe(ref pr, pk + 8);
            ref float xk = ref Unsafe.Add(ref xr, k * Rows);
            var v = Vector256.Create(xk);
            a0 = Fma256(v, lo, a0); b0 = Fma256(v, hi, b0);
            v = Vector256.Create(Unsafe.Add(ref xk, 1));
            a1 = Fma256(v, lo, a1); b1 = Fma256(v, hi, b1);
            v = Vector256.Create(Unsafe.Add(ref xk, 2));
            a2 = Fma256(v, lo, a2); b2 = Fma256(v, hi, b2);
            v = Vector256.Create(Unsafe.Add(ref xk, 3));
            a3 = Fma256(v, lo, a3); b3 = Fma256(v, hi, b3);
            v = Vector256.Create(Unsafe.Add(ref xk, 4));
            a4 = Fma256(v, lo, a4); b4 = Fma256(v, hi, b4);
            v = Vector256.Create(Unsafe.Add(ref xk, 5));
            a5 = Fma256(v, lo, a5); b5 = Fma256(v, hi, b5);
        }
        acc[0] = a0; acc[1] = b0; acc[2] = a1; acc[3] = b1; acc[4] = a2; acc[5] = b2;
        acc[6] = a3; acc[7] = b3; acc[8] = a4; acc[9] = b4; acc[10] = a5; acc[11] = b5;
        _ = y.AsSpan(yAt + (rows - 1) * yStride, valid); // the one bounds check: the stores below go by reference
        ref float yr = ref y[yAt];
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref yr, r * yStride);
            Store(acc[2 * r], ref row, Math.Min(valid, 8), add);
            if (valid > 8) Store(acc[2 * r + 1], ref Unsafe.Add(ref row, 8), valid - 8, add);
        }
    }

    /// <summary>One row's 8 sums into y, as the 512-bit <see cref="Store(Vector512{float}, ref float, int, bool)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> acc, ref float dst, int valid, bool add)
    {
        if (valid == 8)
        {
            (add ? Vector256.LoadUnsafe(ref dst) + acc : acc).StoreUnsafe(ref dst);
            return;
        }
        for (int c = 0; c < valid; c++) Unsafe.Add(ref dst, c) = (add ? Unsafe.Add(ref dst, c) : 0) + acc.GetElement(c);
    }
}
