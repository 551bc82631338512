using System.Collections.Concurrent;

namespace PaliConvert.IO;

/// <summary>
/// A write-only stream that hands filled buffers to a writer thread, so converting the next block overlaps with
/// writing the last one. Bounded: at most <c>depth</c> buffers wait, so memory stays a few buffers.
/// </summary>
public sealed class WriteBehindStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly BlockingCollection<(byte[] buf, int len)> _queue;
    private readonly ConcurrentBag<byte[]> _free = new();
    private readonly Thread _writer;
    private readonly int _bufferSize;
    private byte[] _current;
    private int _used;
    private Exception? _failure;

    public WriteBehindStream(Stream inner, int bufferSize = 8 << 20, int depth = 3)
    {
        _inner = inner;
        _bufferSize = bufferSize;
        _queue = new BlockingCollection<(byte[], int)>(depth);
        _current = new byte[bufferSize];
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "write-behind" };
        _writer.Start();
    }

    private void WriteLoop()
    {
        foreach (var (buf, len) in _queue.GetConsumingEnumerable())
        {
            try { if (_failure == null) _inner.Write(buf, 0, len); }
            catch (Exception e) { _failure = e; }
            _free.Add(buf);
        }
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
        _current = _free.TryTake(out var b) ? b : new byte[_bufferSize];
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
