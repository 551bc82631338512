using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace PaliConvert.Tensors;

/// <summary>
/// Two views of the same shape read side by side as float32, a block at a time: one is gathered on a thread of its
/// own into a small bounded queue, the other on the caller's, so any two layouts (a transposed einsum slice against
/// an HF matrix) compare element by element in memory that does not grow with the tensor.
/// </summary>
public static class ViewPairs
{
    private const int Block = 1 << 16; // floats

    /// <summary>Calls <paramref name="visit"/> with consecutive blocks of both views (row-major order) and the first index.</summary>
    public static void Read(TensorView a, TensorView b, Action<long, ReadOnlySpan<float>, ReadOnlySpan<float>> visit)
    {
        using var queue = new BlockingCollection<float[]>(boundedCapacity: 4);
        var producer = Task.Run(() =>
        {
            try { new ViewGather().Write(a, DType.F32, new BlockStream(queue.Add)); }
            finally { queue.CompleteAdding(); }
        });
        long at = 0;
        float[]? pending = null;
        int used = 0;
        var sink = new BlockStream(block =>
        {
            int done = 0;
            while (done < block.Length)
            {
                if (pending == null || used == pending.Length)
                {
                    if (!queue.TryTake(out pending, Timeout.Infinite)) throw new InvalidOperationException("views of unequal lengths");
                    used = 0;
                }
                int n = Math.Min(block.Length - done, pending.Length - used);
                visit(at, pending.AsSpan(used, n), block.AsSpan(done, n));
                at += n;
                used += n;
                done += n;
            }
        });
        try { new ViewGather().Write(b, DType.F32, sink); }
        finally
        {
            while (!queue.IsCompleted) queue.TryTake(out _, 10); // let the producer finish whatever happened here
        }
        producer.GetAwaiter().GetResult();
    }

    /// <summary>A write-only stream cutting float32 bytes into blocks.</summary>
    private sealed class BlockStream(Action<float[]> emit) : Stream
    {
        private readonly byte[] _carry = new byte[4];
        private int _carried;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (_carried > 0 && buffer.Length > 0)
            {
                _carry[_carried++] = buffer[0];
                buffer = buffer[1..];
                if (_carried == 4) { emit([BitConverter.ToSingle(_carry)]); _carried = 0; }
            }
            int whole = buffer.Length / 4 * 4;
            for (int off = 0; off < whole; off += Block * 4)
                emit(MemoryMarshal.Cast<byte, float>(buffer.Slice(off, Math.Min(Block * 4, whole - off))).ToArray());
            buffer[whole..].CopyTo(_carry);
            _carried = buffer.Length - whole;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
