using PaliConvert.Tensors;

namespace PaliConvert.Validation.Weights;

/// <summary>
/// A write-only stream that compares what is written with a stored tensor's bytes, element by element: how many
/// differ, the largest difference (for floats), and along each axis of the stored shape which indices hold a
/// difference (the layers, parts and heads a report names). Reads the stored bytes in step and releases them.
/// </summary>
public sealed class ByteComparer(TensorInfo stored) : Stream
{
    private readonly int _size = stored.DType.Size();
    private readonly long[] _shape = stored.Shape;
    // one mark per index of each axis: a wholly different tensor costs a store per element, not a set insertion
    private readonly bool[][] _axes = stored.Shape.Select(d => new bool[Math.Max(1, d)]).ToArray();
    private readonly byte[] _carry = new byte[8];
    private int _carried;
    private long _at; // bytes compared

    public long Differing { get; private set; }
    public long FirstDifference { get; private set; } = -1;
    public double MaxAbsDiff { get; private set; }
    /// <summary>A difference that is NaN on one side only, or a NaN that should be a number.</summary>
    public bool NaN { get; private set; }
    public long Written => _at + _carried;

    /// <summary>
    /// From this element on, float values within a few units in the last place count as equal: padded vocabulary
    /// rows are a mean, which another tool's summation order may round differently.
    /// </summary>
    public long MeanFrom { get; init; } = long.MaxValue;

    /// <summary>
    /// A merged adapter's values (W + scale B A) count as equal within 2 units in the last place of the stored dtype
    /// plus 1e-5 relative: another tool sums B A in another order, and PEFT on a GPU merges in bf16 itself.
    /// </summary>
    public bool Merged { get; init; }

    /// <summary>The indices along <paramref name="axis"/> of the stored shape at which some element differs.</summary>
    public IReadOnlyCollection<long> Indices(int axis) =>
        Enumerable.Range(0, _axes[axis].Length).Where(i => _axes[axis][i]).Select(i => (long)i).ToList();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (_carried > 0 && buffer.Length > 0)
        {
            _carry[_carried++] = buffer[0];
            buffer = buffer[1..];
            if (_carried == _size) { Compare(_carry.AsSpan(0, _size)); _carried = 0; }
        }
        int whole = buffer.Length / _size * _size;
        const int Chunk = 1 << 20;
        for (int off = 0; off < whole; off += Chunk) Compare(buffer.Slice(off, Math.Min(Chunk, whole - off)));
        foreach (var b in buffer[whole..]) _carry[_carried++] = b;
    }

    private void Compare(ReadOnlySpan<byte> expected)
    {
        if (_at + expected.Length > stored.ByteLength) throw new InvalidOperationException($"'{stored.Name}': more bytes than stored");
        var actual = stored.Data.Span(_at, expected.Length);
        if (!expected.SequenceEqual(actual))
            for (int i = 0; i < expected.Length; i += _size)
                if (!expected.Slice(i, _size).SequenceEqual(actual.Slice(i, _size))) Record((_at + i) / _size, expected[i..], actual[i..]);
        stored.Data.Release(_at, expected.Length);
        _at += expected.Length;
    }

    private void Record(long element, ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Differing++;
        if (stored.DType.IsFloat())
        {
            Span<float> two = stackalloc float[2];
            FloatConvert.ToF32(stored.DType, expected[.._size], two[..1]);
            FloatConvert.ToF32(stored.DType, actual[.._size], two[1..]);
            double d = Math.Abs((double)two[0] - two[1]);
            if (element >= MeanFrom && d <= 1e-7 + 4 * Math.Abs(two[0]) * Ulp(stored.DType)) { Differing--; return; }
            if (Merged && d <= 1e-7 + Math.Abs(two[0]) * (2 * Ulp(stored.DType) + 1e-5)) { Differing--; return; }
            if (double.IsNaN(d)) NaN |= !(float.IsNaN(two[0]) && float.IsNaN(two[1]));
            else MaxAbsDiff = Math.Max(MaxAbsDiff, d);
        }
        else MaxAbsDiff = Math.Max(MaxAbsDiff, Math.Abs((double)Integer(expected) - Integer(actual)));
        if (FirstDifference < 0) FirstDifference = element;
        for (int axis = _shape.Length - 1; axis >= 0; axis--)
        {
            long dim = Math.Max(1, _shape[axis]);
            _axes[axis][element % dim] = true;
            element /= dim;
        }
    }

    private static double Ulp(DType d) => d switch { DType.F16 => 1.0 / 1024, DType.BF16 => 1.0 / 128, _ => 1.0 / (1 << 23) };

    private long Integer(ReadOnlySpan<byte> b) => stored.DType == DType.I8 ? (sbyte)b[0] : b[0];

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
}
