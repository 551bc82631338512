using System.Numerics.Tensors;

namespace PaliConvert.Tensors;

/// <summary>
/// Merges a LoRA update into a block of gathered values: for the block's elements, in the view's row-major order,
/// v = Gain_i (v + Scale sum_k L[i,k] R[k,j]), where (i, j) is where the element sits in the [Rows, Cols] weight. A run
/// of rows whose strides walk i along rows and j along columns (or the reverse, a transposed weight) is one small
/// matrix product; anything else is summed element by element. The factors are read once per update.
/// </summary>
public sealed class DeltaGather
{
    private LowRank? _for;
    private float[] _l = [], _r = [], _lt = [];
    private float[]? _gains;

    /// <summary>Merges the update into <paramref name="block"/>, the view's elements from flat index <paramref name="first"/>.</summary>
    public void Apply(TensorDelta delta, long first, Span<float> block)
    {
        Load(delta.Update);
        var v = delta.View;
        int rank = v.Shape.Length;
        long cols = rank >= 1 ? v.Shape[rank - 1] : 1, rows = rank >= 2 ? v.Shape[rank - 2] : 1;
        long rs = rank >= 2 ? v.Strides[rank - 2] : 0, cs = rank >= 1 ? v.Strides[rank - 1] : 0;
        long f = first, end = first + block.Length;
        while (f < end)
        {
            long within = f % (rows * cols), r = within / cols, c = within % cols;
            long at = v.Offset + Outer(v, f / (rows * cols)) + r * rs + c * cs;
            var dst = block[(int)(f - first)..];
            if (c != 0 || end - f < cols)
            {
                long n = Math.Min(cols - c, end - f);
                Band(delta.Update, at, 1, n, rs, cs, dst[..(int)n]);
                f += n;
                continue;
            }
            long nr = Math.Min(rows - r, (end - f) / cols);
            Band(delta.Update, at, nr, cols, rs, cs, dst[..(int)(nr * cols)]);
            f += nr * cols;
        }
    }

    private void Load(LowRank u)
    {
        if (ReferenceEquals(u, _for)) return;
        (_l, _r, _gains, _for) = (u.ReadL(), u.ReadR(), u.Gains?.Value, u);
        _lt = LowRank.Transpose(_l, u.Rows, u.Rank); // L read once, both layouts from it
        // scaled once, so that every path forms the same products (Scale L[i,k]) R[k,j], summed in the same order
        System.Numerics.Tensors.TensorPrimitives.Multiply(_l, u.Scale, _l);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_lt, u.Scale, _lt);
    }

    /// <summary>Element offset of outer index <paramref name="q"/> (the axes before the last two).</summary>
    private static long Outer(TensorView v, long q)
    {
        long off = 0;
        for (int k = v.Shape.Length - 3; k >= 0; k--)
        {
            off += q % v.Shape[k] * v.Strides[k];
            q /= v.Shape[k];
        }
        return off;
    }

    /// <summary>nr x nc elements at virtual offsets at + a rs + b cs.</summary>
    private void Band(LowRank u, long at, long nr, long nc, long rs, long cs, Span<float> dst)
    {
        long i0 = at / u.Cols, j0 = at % u.Cols;
        var (dir, djr) = Split(rs, u.Cols);
        var (dic, djc) = Split(cs, u.Cols);
        bool fits = dir >= 0 && dic >= 0 && j0 + (nr - 1) * djr + (nc - 1) * djc < u.Cols;
        if (fits && dic == 0 && djr == 0 && (djc == 1 || nc == 1)) RowsAlongI(u, i0, j0, dir, nr, nc, dst);
        else if (fits && dir == 0 && djc == 0 && (dic == 1 || nc == 1)) RowsAlongJ(u, i0, j0, djr, nr, nc, dst);
        else Elementwise(u, at, nr, nc, rs, cs, dst);
    }

    /// <summary>A stride as a move of (i, j), or (-1, -1) where it does not stay inside one axis.</summary>
    private static (long di, long dj) Split(long stride, long cols) =>
        stride % cols == 0 ? (stride / cols, 0) : stride < cols ? (0, stride) : (-1, -1);

    /// <summary>Row a is weight row i0 + a di, columns j0.. : dst[a] += Scale L[i] R[:, j0..].</summary>
    private void RowsAlongI(LowRank u, long i0, long j0, long di, long nr, long nc, Span<float> dst)
    {
        var (l, r, gains, k) = (_l, _r, _gains, u.Rank);
        void Row(long a, Span<float> row)
        {
            long i = i0 + a * di;
            for (int q = 0; q < k; q++)
                TensorPrimitives.MultiplyAdd(r.AsSpan((int)(q * u.Cols + j0), (int)nc), l[i * k + q], row, row);
            if (gains != null) TensorPrimitives.Multiply(row, gains[i], row);
        }
        Rows(nr, nc, k, dst, Row);
    }

    /// <summary>Row a is weight column j0 + a dj, columns are weight rows i0.. : dst[a] += Scale R[:, j] L[i0.., :]^T.</summary>
    private void RowsAlongJ(LowRank u, long i0, long j0, long dj, long nr, long nc, Span<float> dst)
    {
        var (lt, r, gains, k) = (_lt, _r, _gains, u.Rank);
        void Row(long a, Span<float> row)
        {
            long j = j0 + a * dj;
            for (int q = 0; q < k; q++)
                TensorPrimitives.MultiplyAdd(lt.AsSpan((int)(q * u.Rows + i0), (int)nc), r[q * u.Cols + j], row, row);
            if (gains != null) TensorPrimitives.Multiply(row, gains.AsSpan((int)i0, (int)nc), row);
        }
        Rows(nr, nc, k, dst, Row);
    }

    /// <summary>Each row of a band, on every core when the band is large.</summary>
    private static unsafe void Rows(long nr, long nc, int k, Span<float> dst, Action<long, Span<float>> row)
    {
        if (nr * nc * k < 1 << 22)
        {
            for (long a = 0; a < nr; a++) row(a, dst.Slice((int)(a * nc), (int)nc));
            return;
        }
        fixed (float* p = dst)
        {
            var basePtr = (IntPtr)p;
            Parallel.For(0L, nr, a => row(a, new Span<float>((float*)basePtr + a * nc, (int)nc)));
        }
    }

    private void Elementwise(LowRank u, long at, long nr, long nc, long rs, long cs, Span<float> dst)
    {
        for (long a = 0; a < nr; a++)
            for (long b = 0; b < nc; b++)
            {
                long e = at + a * rs + b * cs, i = e / u.Cols, j = e % u.Cols;
                ref float x = ref dst[(int)(a * nc + b)];
                for (int q = 0; q < u.Rank; q++) x += _l[i * u.Rank + q] * _r[q * u.Cols + j];
                if (_gains != null) x *= _gains[i];
            }
    }
}
