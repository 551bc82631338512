using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PaliConvert.Models;

namespace PaliConvert.Inference;

/// <summary>
/// Multi-head attention as two small matrix products per head and block of query rows: scores = Q K^T against the
/// keys transposed once per kv head, the rows softmaxed, then out = P V. A dot product and an axpy per query and key
/// (72 values each in the vision tower) spent more in calls than in arithmetic. Operands are padded with zeros to
/// whole register blocks.
/// </summary>
internal static partial class Attention
{
    /// <summary>Query rows per item: a multiple of <see cref="Rows"/>.</summary>
    private static int QueryBlock => Wide ? 64 : 66;

    /// <summary>Rows of a register block, and columns (two vectors): 8 x 32 under AVX-512 (Attention.Wide.cs), else 6 x
    /// two of Vector&lt;float&gt;.</summary>
    private static int Rows => Wide ? 8 : 6;

    private static int Lanes => Wide ? 32 : 2 * Vector<float>.Count;

    private static bool Wide => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;

    private static int Up(int x, int to) => (x + to - 1) / to * to;

    /// <summary>
    /// <paramref name="n"/> query rows (positions start.. start + n) over the keys and values of positions 0..total;
    /// query head m uses kv head m / (heads / kvHeads). softcap 0: none. Mask: none when group is null, else
    /// <see cref="PaliGemmaForward.Visible"/> on the positions. Layouts: [row, head, h].
    /// </summary>
    public static void Apply(float[] q, float[] k, float[] v, int n, int start, int total, int heads, int kvHeads, int h,
        float scale, int[]? group, float softcap, int window, float[] output)
    {
        int perKv = heads / kvHeads, tp = Up(total, Lanes), hp = Up(h, Lanes), blocks = (n + QueryBlock - 1) / QueryBlock;
        var pool = ArrayPool<float>.Shared;
        var kt = new float[kvHeads][];
        var vp = new float[kvHeads][];
        Parallel.For(0, kvHeads, g =>
        {
            kt[g] = Zeroed(pool, h * tp);
            vp[g] = Zeroed(pool, tp * hp);
            for (int j = 0; j < total; j++)
            {
                int at = (j * kvHeads + g) * h;
                for (int d = 0; d < h; d++) kt[g][d * tp + j] = k[at + d];
                v.AsSpan(at, h).CopyTo(vp[g].AsSpan(j * hp, h));
            }
        });
        Parallel.For(0, heads * blocks, () => pool.Rent(QueryBlock * (h + tp + hp)), (item, _, buf) =>
        {
            int m = item / blocks, r0 = item % blocks * QueryBlock, rows = Math.Min(QueryBlock, n - r0), rp = Up(rows, Rows);
            Span<float> qb = buf.AsSpan(0, rp * h), s = buf.AsSpan(QueryBlock * h, rp * tp);
            Span<float> o = buf.AsSpan(QueryBlock * (h + tp), rp * hp);
            qb.Clear();
            for (int r = 0; r < rows; r++) q.AsSpan(((r0 + r) * heads + m) * h, h).CopyTo(qb.Slice(r * h, h));
            Product(qb, rp, h, kt[m / perKv], tp, s);
            for (int r = 0; r < rp; r++)
            {
                var row = s.Slice(r * tp, tp);
                if (r < rows) Probabilities(row[..total], start + r0 + r, scale, group, softcap, window);
                row[(r < rows ? total : 0)..].Clear();
            }
            Product(s, rp, tp, vp[m / perKv], hp, o);
            for (int r = 0; r < rows; r++) o.Slice(r * hp, h).CopyTo(output.AsSpan(((r0 + r) * heads + m) * h, h));
            return buf;
        }, b => pool.Return(b));
        for (int g = 0; g < kvHeads; g++) { pool.Return(kt[g]); pool.Return(vp[g]); }
    }

    private static float[] Zeroed(ArrayPool<float> pool, int length)
    {
        var a = pool.Rent(length);
        a.AsSpan(0, length).Clear();
        return a;
    }

    /// <summary>A row of logits (query position i) into its softmax, masked and capped as the model says.</summary>
    private static void Probabilities(Span<float> row, int i, float scale, int[]? group, float softcap, int window)
    {
        if (scale != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale, row);
        if (softcap > 0) Ops.SoftCap(row, softcap);
        if (group != null)
            for (int j = 0; j < row.Length; j++)
                if (!PaliGemmaForward.Visible(group, i, j, window)) row[j] = ModelDefaults.MaskedLogit;
        Ops.Softmax(row);
    }

    /// <summary>c[rows, cols] = a[rows, depth] b[depth, cols], row-major; rows a multiple of <see cref="Rows"/>, cols of
    /// <see cref="Lanes"/>.</summary>
    private static void Product(ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> b, int cols, Span<float> c)
    {
        if (a.Length < rows * depth || b.Length < depth * cols || c.Length < rows * cols || rows % Rows != 0 || cols % Lanes != 0)
            throw new ArgumentException("operands too small or not padded");
        if (Wide) Product8x32(a, rows, depth, b, cols, c);
        else Product6(a, rows, depth, b, cols, c);
    }

    /// <summary>6 rows of a by two vectors of b: 12 accumulators, 2 loads and 6 broadcasts per 12 FMAs, in the 16
    /// AVX registers (4 rows did 8 FMAs per 6 loads).</summary>
    private static void Product6(ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> b, int cols, Span<float> c)
    {
        int w = Vector<float>.Count;
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float cr = ref MemoryMarshal.GetReference(c);
        nuint d1 = (nuint)depth, s = (nuint)cols, wn = (nuint)w;
        for (int i = 0; i < rows; i += 6)
        {
            ref float a0 = ref Unsafe.Add(ref ar, (nuint)(i * depth));
            for (int j = 0; j < cols; j += 2 * w)
            {
                Vector<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                Vector<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                for (nuint d = 0, at = (nuint)j; d < d1; d++, at += s)
                {
                    var b0 = Vector.LoadUnsafe(ref br, at);
                    var b1 = Vector.LoadUnsafe(ref br, at + wn);
                    ref float x = ref Unsafe.Add(ref a0, d);
                    var v = new Vector<float>(x);
                    c00 = Vector.FusedMultiplyAdd(v, b0, c00); c01 = Vector.FusedMultiplyAdd(v, b1, c01);
                    v = new Vector<float>(Unsafe.Add(ref x, d1));
                    c10 = Vector.FusedMultiplyAdd(v, b0, c10); c11 = Vector.FusedMultiplyAdd(v, b1, c11);
                    v = new Vector<float>(Unsafe.Add(ref x, 2 * d1));
                    c20 = Vector.FusedMultiplyAdd(v, b0, c20); c21 = Vector.FusedMultiplyAdd(v, b1, c21);
                    v = new Vector<float>(Unsafe.Add(ref x, 3 * d1));
                    c30 = Vector.FusedMultiplyAdd(v, b0, c30); c31 = Vector.FusedMultiplyAdd(v, b1, c31);
                    v = new Vector<float>(Unsafe.Add(ref x, 4 * d1));
                    c40 = Vector.FusedMultiplyAdd(v, b0, c40); c41 = Vector.FusedMultiplyAdd(v, b1, c41);
                    v = new Vector<float>(Unsafe.Add(ref x, 5 * d1));
                    c50 = Vector.FusedMultiplyAdd(v, b0, c50); c51 = Vector.FusedMultiplyAdd(v, b1, c51);
                }
                ref float o = ref Unsafe.Add(ref cr, (nuint)(i * cols + j));
                c00.StoreUnsafe(ref o); c01.StoreUnsafe(ref o, wn);
                c10.StoreUnsafe(ref o, s); c11.StoreUnsafe(ref o, s + wn);
                c20.StoreUnsafe(ref o, 2 * s); c21.StoreUnsafe(ref o, 2 * s + wn);
                c30.StoreUnsafe(ref o, 3 * s); c31.StoreUnsafe(ref o, 3 * s + wn);
                c40.StoreUnsafe(ref o, 4 * s); c41.StoreUnsafe(ref o, 4 * s + wn);
                c50.StoreUnsafe(ref o, 5 * s); c51.StoreUnsafe(ref o, 5 * s + wn);
            }
        }
    }
}
