using System.Runtime.InteropServices;
using PaliConvert.IO;

namespace PaliConvert.Formats.Quantized;

/// <summary>
/// Takes a view gathered as float32 (<see cref="Tensors.ViewGather"/> writes its bytes in row-major order) and hands it
/// on one row of <paramref name="columns"/> values at a time, with the row's index.
/// </summary>
public sealed class RowSink(long columns, Action<long, ReadOnlySpan<float>> onRow) : WriteOnlyStream
{
    private readonly float[] _row = new float[columns];
    private int _filled; // bytes of _row filled so far
    private long _index;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int rowBytes = _row.Length * sizeof(float);
        Written += buffer.Length;
        while (buffer.Length > 0)
        {
            if (_filled == 0 && buffer.Length >= rowBytes)
            {
                onRow(_index++, MemoryMarshal.Cast<byte, float>(buffer[..rowBytes]));
                buffer = buffer[rowBytes..];
                continue;
            }
            int n = Math.Min(rowBytes - _filled, buffer.Length);
            buffer[..n].CopyTo(MemoryMarshal.AsBytes(_row.AsSpan()).Slice(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled < rowBytes) continue;
            onRow(_index++, _row);
            _filled = 0;
        }
    }

    public override void Flush()
    {
        if (_filled != 0) throw new InvalidOperationException($"a row was cut short after {_filled} bytes");
    }
}
