using PaliConvert.Tensors;

namespace PaliConvert.Tensors;

/// <summary>
/// A target tensor as a strided view of a source tensor's bytes: unstack and split pick a slice, transpose permutes
/// strides, reshape splits or merges axes where the strides allow. Nothing is copied until the writer gathers it.
/// </summary>
public sealed record TensorView(string Name, TensorInfo Source, long Offset, long[] Shape, long[] Strides, long PadRowsTo = 0)
{
    /// <summary>
    /// Set by a reshape that strides cannot express (merging axes that are not nested): the output takes this shape,
    /// while Shape/Strides keep iterating the elements in the same row-major order. No slice or transpose may follow.
    /// </summary>
    public long[]? Relabelled { get; init; }

    public long[] LogicalShape => Relabelled ?? Shape;

    /// <summary>A LoRA update merged into this view as it is gathered, carried through every operation.</summary>
    public TensorDelta? Delta { get; init; }

    private TensorView Also(TensorView result, Func<TensorView, TensorView> op) =>
        Delta == null ? result : result with { Delta = Delta with { View = op(Delta.View) } };

    public static TensorView Of(TensorInfo t)
    {
        var strides = new long[t.Shape.Length];
        long s = 1;
        for (int i = t.Shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= t.Shape[i]; }
        return new TensorView(t.Name, t, 0, t.Shape, strides);
    }

    /// <summary>The shape written: padded rows included.</summary>
    public long[] OutputShape => PadRowsTo > 0 ? [PadRowsTo, .. LogicalShape[1..]] : LogicalShape;

    /// <summary>Index <paramref name="i"/> of axis 0, which is dropped.</summary>
    public TensorView Take(int i, string name) => Also(TakeBase(i, name), d => d.TakeBase(i, name));

    private TensorView TakeBase(int i, string name)
    {
        NotRelabelled("unstack or split");
        if (Shape.Length == 0 || i < 0 || i >= Shape[0])
            throw new InvalidOperationException($"index {i} outside axis 0 of {Tensors.Shape.Format(Shape)}");
        return this with { Name = name, Offset = Offset + i * Strides[0], Shape = Shape[1..], Strides = Strides[1..] };
    }

    /// <summary>The first <paramref name="rows"/> rows (trims padded vocabulary going back).</summary>
    public TensorView TakeRows(long rows) => Also(TakeRowsBase(rows), d => d.TakeRowsBase(rows));

    private TensorView TakeRowsBase(long rows)
    {
        NotRelabelled("row trim");
        if (Shape.Length == 0 || rows > Shape[0])
            throw new BadInputException(Source.Data.File.Path, $"{Source.Data.File.Path}: tensor '{Source.Name}': cannot take {rows} " +
                $"rows of " +
                $"{Tensors.Shape.Format(Shape)}", item: Source.Name);
        return this with { Shape = [rows, .. Shape[1..]] };
    }

    public TensorView Transpose(int[] perm) => Also(TransposeBase(perm), d => d.TransposeBase(perm));

    private TensorView TransposeBase(int[] perm)
    {
        NotRelabelled("transpose");
        if (perm.Length != Shape.Length || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= Shape.Length))
            throw new BadInputException(Source.Data.File.Path, $"{Source.Data.File.Path}: tensor '{Source.Name}': transpose " +
                $"{string.Join(",", perm)} does " +
                $"not fit shape " +
                $"{Tensors.Shape.Format(Shape)}", item: Source.Name);
        return this with { Shape = perm.Select(p => Shape[p]).ToArray(), Strides = perm.Select(p => Strides[p]).ToArray() };
    }

    /// <summary>
    /// A matrix [R, C] as [C, R]. A relabelled matrix transposes its axis groups (the axes whose product is R, and those
    /// whose product is C) and stays relabelled, since its row-major order is again that of its strides.
    /// </summary>
    public TensorView Transposed() => Also(TransposedBase(), d => d.TransposedBase());

    private TensorView TransposedBase()
    {
        if (LogicalShape.Length != 2 || PadRowsTo > 0)
            throw new InvalidOperationException($"tensor '{Name}': only an unpadded matrix transposes, not " +
                Tensors.Shape.Format(OutputShape));
        if (Relabelled == null) return TransposeBase([1, 0]);
        int split = 0;
        for (long rows = 1; rows < Relabelled[0]; split++) rows *= Shape[split];
        if (Tensors.Shape.Elements(Shape[..split]) != Relabelled[0])
            throw new InvalidOperationException($"tensor '{Name}': {Tensors.Shape.Format(Shape)} has no axes making {Relabelled[0]} rows");
        var perm = Enumerable.Range(split, Shape.Length - split).Concat(Enumerable.Range(0, split)).ToArray();
        return this with
        {
            Shape = perm.Select(p => Shape[p]).ToArray(), Strides = perm.Select(p => Strides[p]).ToArray(),
            Relabelled = [Relabelled[1], Relabelled[0]],
        };
    }

    /// <summary>Reshape without copying: each new axis group must map onto old axes whose strides nest.</summary>
    public TensorView Reshape(long[] shape) => Also(ReshapeBase(shape), d => d.ReshapeBase(shape));

    private TensorView ReshapeBase(long[] shape)
    {
        if (Relabelled != null) // back to the strides' own shape is no relabelling at all
            return Tensors.Shape.Equal(shape, Shape) ? this with { Relabelled = null } : this with { Relabelled = shape };
        if (Tensors.Shape.Elements(shape) != Tensors.Shape.Elements(LogicalShape))
            throw new BadInputException(Source.Data.File.Path, $"{Source.Data.File.Path}: tensor '{Source.Name}': cannot reshape " +
                $"{Tensors.Shape.Format(Shape)} to " +
                $"{Tensors.Shape.Format(shape)}: element counts differ (the tensor contradicts the others)", item: Source.Name);
        var (oldShape, oldStrides) = (Shape.Where(d => d != 1).ToArray(),
            Shape.Select((d, i) => (d, i)).Where(x => x.d != 1).Select(x => Strides[x.i]).ToArray());
        var strides = new long[shape.Length];
        int o = 0, n = 0;
        while (n < shape.Length)
        {
            if (shape[n] == 1) { strides[n++] = 1; continue; }
            // gather old axes until their product matches the new axes' product
            long oldProd = oldShape[o], newProd = shape[n];
            int o0 = o, n0 = n;
            while (oldProd != newProd)
            {
                if (oldProd < newProd) oldProd *= oldShape[++o];
                else newProd *= shape[++n];
            }
            for (int k = o0; k < o; k++)
                if (oldStrides[k] != oldStrides[k + 1] * oldShape[k + 1])
                    return this with { Relabelled = shape }; // row-major order is unchanged: only the output shape differs
            long stride = oldStrides[o];
            for (int k = n; k >= n0; k--) { strides[k] = stride; stride *= shape[k]; }
            o++; n++;
        }
        return this with { Shape = shape, Strides = strides };
    }

    private void NotRelabelled(string op)
    {
        if (Relabelled != null)
            throw new BadInputException(Source.Data.File.Path, $"{Source.Data.File.Path}: tensor '{Source.Name}': {op} after reshaping " +
                $"{Tensors.Shape.Format(Shape)} to " +
                $"{Tensors.Shape.Format(Relabelled)} would need a copy; reorder the rule's operations", item: Source.Name);
    }

    /// <summary>Element offsets of every index of the axes before the last two, in row-major order.</summary>
    public IEnumerable<long> OuterOffsets()
    {
        int outerRank = Math.Max(0, Shape.Length - 2);
        if (Shape.Any(d => d == 0)) yield break;
        var idx = new long[outerRank];
        while (true)
        {
            long off = 0;
            for (int k = 0; k < outerRank; k++) off += idx[k] * Strides[k];
            yield return off;
            int a = outerRank - 1;
            while (a >= 0 && ++idx[a] == Shape[a]) idx[a--] = 0;
            if (a < 0) yield break;
        }
    }
}
