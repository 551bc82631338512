using System.Collections.Concurrent;

namespace PaliConvert.IO;

/// <summary>
/// A write-only stream that hands filled buffers to a writer thread, so converting the next block overlaps with
/// writing the last one. Bounded: at most <c>depth</c> buffers wait, so memory stays a few buffers. Over a
/// <see cref="DirectFile"/> (direct) the buffers are pinned and aligned, and the last one is padded to the alignment
/// and the file cut back to its length.
/// </summary>
public sealed class WriteBehindStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly BlockingCollection<(ArraySegment<byte> buf, int len)> _queue;
    private readonly ConcurrentBag<ArraySegment<byte>> _free = new();
    private readonly Thread _writer;
    private readonly int _bufferSize;
    private readonly bool _direct;
    private ArraySegment<byte> _current;
    private int _used;
    private Exception? _failure;

    public WriteBehindStream(Stream inner, int bufferSize = 8 << 20, int depth = 3, bool direct = false)
    {
        _inner = inner;
        _bufferSize = bufferSize;
        _direct = direct && bufferSize % DirectFile.Alignment == 0;
        _queue = new BlockingCollection<(ArraySegment<byte>, int)>(depth);
        _current = NewBuffer();
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "write-behind" };
        _writer.Start();
    }

    /// <summary>Over a direct file: a pinned array, used from its first address on the alignment.</summary>
    private ArraySegment<byte> NewBuffer()
    {
        if (!_direct) return new byte[_bufferSize];
        var array = GC.AllocateUninitializedArray<byte>(_bufferSize + DirectFile.Alignment, pinned: true);
        unsafe
        {
            fixed (byte* p = array)
            {
                int skip = (int)((DirectFile.Alignment - (long)p % DirectFile.Alignment) % DirectFile.Alignment);
                return new ArraySegment<byte>(array, skip, _bufferSize);
            }
        }
    }

    private void WriteLoop()
    {
        foreach (var (buf, len) in _queue.GetConsumingEnumerable())
        {
            try { if (_failure == null) WriteOut(buf, len); }
            catch (Exception e) { _failure = e; }
            _free.Add(buf);
        }
    }

    private void WriteOut(ArraySegment<byte> buf, int len)
    {
        int padded = _direct ? (len + DirectFile.Alignment - 1) / DirectFile.Alignment * DirectFile.Alignment : len;
        if (padded == len) { _inner.Write(buf.Array!, buf.Offset, len); return; }
        long end = _inner.Position + len; // only the last buffer is partial
        buf.AsSpan(len, padded - len).Clear();
        _inner.Write(buf.Array!, buf.Offset, padded);
        _inner.SetLength(end);
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            int n = Math.Min(data.Length, _bufferSize - _used);
            data[..n].CopyTo(_current.AsSpan(_used));
            _used += n;
            Written += n;
            data = data[n..];
            if (_used == _bufferSize) Hand();
        }
    }

    private void Hand()
    {
        if (_failure != null) throw new IOException($"writing failed: {_failure.Message}", _failure);
        if (_used == 0) return;
        _queue.Add((_current, _used));
        _current = _free.TryTake(out var b) ? b : NewBuffer();
        _used = 0;
    }

    /// <summary>Waits until every byte has reached the inner stream, then flushes it.</summary>
    public override void Flush()
    {
        Hand();
        _queue.CompleteAdding();
        _writer.Join();
        if (_failure != null) throw new IOException($"writing failed: {_failure.Message}", _failure);
        _inner.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_queue.IsAddingCompleted)
        {
            _queue.CompleteAdding();
            _writer.Join();
        }
        base.Dispose(disposing);
    }
}
