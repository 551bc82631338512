namespace PaliConvert.Tensors;

public static class Shape
{
    /// <summary>Number of elements, with overflow checked: a hostile header must not wrap around.</summary>
    public static long Elements(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new BadInputException("shape", $"negative dimension {d} in shape {Format(shape)}");
            n = checked(n * d);
        }
        return n;
    }

    public static long Bytes(IReadOnlyList<long> shape, DType dtype) => checked(Elements(shape) * dtype.Size());

    public static string Format(IReadOnlyList<long> shape) => "(" + string.Join(", ", shape) + ")";

    public static bool Equal(IReadOnlyList<long> a, IReadOnlyList<long> b) => a.SequenceEqual(b);
}
