using System.Collections.Concurrent;

namespace PaliConvert.IO;

/// <summary>
/// A write-only stream that hands filled buffers to a writer thread, so converting the next block overlaps with
/// writing the last one. Bounded: at most <c>depth</c> buffers wait, so memory stays a few buffers. Over a
/// <see cref="DirectFile"/> (direct) the buffers are pinned and aligned, two writers each write at the buffer's own
/// offset (an O_DIRECT write returns only when the disk has it, so one writer left the disk idle between writes), and
/// the last buffer is padded to the alignment and the file cut back to its length.
/// </summary>
public sealed class WriteBehindStream : WriteOnlyStream
{
    private readonly Stream _inner;
    private readonly BlockingCollection<(ArraySegment<byte> buf, int len, long at)> _queue;
    private readonly ConcurrentBag<ArraySegment<byte>> _free = new();

    /// <summary>Pinned buffers outlive a stream when the writer passes a pool: kept for its next stream.</summary>
    private readonly PinnedBuffers _pinned;
    private readonly Thread[] _writers;
    private readonly int _bufferSize;
    private readonly bool _direct;
    private ArraySegment<byte> _current;
    private int _used;
    private long _handed;
    private bool _kept;
    private Exception? _failure;

    public WriteBehindStream(Stream inner, int bufferSize = 8 << 20, int depth = 3, bool direct = false, PinnedBuffers? pinned = null)
    {
        _inner = inner;
        _pinned = pinned ?? new PinnedBuffers();
        _bufferSize = bufferSize;
        _direct = direct && bufferSize % DirectFile.Alignment == 0 && inner is FileStream;
        _queue = new BlockingCollection<(ArraySegment<byte>, int, long)>(depth);
        _current = NewBuffer();
        _handed = _direct ? ((FileStream)inner).Position : 0;
        _writers = Enumerable.Range(0, _direct ? 2 : 1)
            .Select(_ => new Thread(WriteLoop) { IsBackground = true, Name = "write-behind" }).ToArray();
        foreach (var w in _writers) w.Start();
    }

    /// <summary>Over a direct file: a pinned array, used from its first address on the alignment.</summary>
    private ArraySegment<byte> NewBuffer()
    {
        if (!_direct) return new byte[_bufferSize];
        if (_pinned.TryTake(_bufferSize, out var kept)) return kept;
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
        foreach (var (buf, len, at) in _queue.GetConsumingEnumerable())
        {
            try { if (_failure == null) WriteOut(buf, len, at); }
            catch (Exception e) { _failure ??= e; }
            _free.Add(buf);
        }
    }

    private void WriteOut(ArraySegment<byte> buf, int len, long at)
    {
        if (!_direct) { _inner.Write(buf.Array!, buf.Offset, len); return; }
        int padded = (len + DirectFile.Alignment - 1) / DirectFile.Alignment * DirectFile.Alignment; // only the last differs
        buf.AsSpan(len, padded - len).Clear();
        RandomAccess.Write(((FileStream)_inner).SafeFileHandle, buf.AsSpan(0, padded), at);
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
        _queue.Add((_current, _used, _handed));
        _handed += _used;
        _current = _free.TryTake(out var b) ? b : NewBuffer();
        _used = 0;
    }

    /// <summary>Waits until every byte has reached the inner stream, then flushes it (a direct file: cut to length).</summary>
    public override void Flush()
    {
        Hand();
        _queue.CompleteAdding();
        foreach (var w in _writers) w.Join();
        if (_failure != null) throw new IOException($"writing failed: {_failure.Message}", _failure);
        if (_direct)
        {
            var file = (FileStream)_inner;
            file.SetLength(_handed);
            file.Position = _handed;
        }
        _inner.Flush();
        KeepBuffers();
    }

    private void KeepBuffers()
    {
        if (!_direct || _kept) return; // once: a buffer kept twice would be handed to two streams
        _kept = true;
        _free.Add(_current);
        _pinned.Keep(_free);
        _free.Clear();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_queue.IsAddingCompleted)
        {
            _queue.CompleteAdding();
            foreach (var w in _writers) w.Join();
        }
        base.Dispose(disposing);
    }
}
