namespace PaliConvert.Tensors;

/// <summary>One tensor of a checkpoint: its name, dtype and shape, and the bytes behind it (not yet read).</summary>
public sealed record TensorInfo(string Name, DType DType, long[] Shape, Region Data)
{
    public long Elements => Tensors.Shape.Elements(Shape);
    public long ByteLength => Data.Length;

    /// <summary>Reads elements [start, start+dst.Length) widened to float32, whatever the stored float dtype.</summary>
    public void ReadF32(long start, Span<float> dst)
    {
        RequireFloat();
        int size = DType.Size();
        var src = Data.Span(checked(start * size), checked(dst.Length * size));
        FloatConvert.ToF32(DType, src, dst);
    }

    /// <summary>Refuses a tensor of integers or booleans where floats are read (a weight, an embedding).</summary>
    public void RequireFloat()
    {
        if (!DType.IsFloat())
            throw new BadInputException(Data.File.Path, $"{Data.File.Path}: tensor '{Name}' is {DType.Label()}, where a float tensor is " +
                "expected", Name);
    }
}
