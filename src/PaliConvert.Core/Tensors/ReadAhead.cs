using System.Collections.Concurrent;

namespace PaliConvert.Tensors;

/// <summary>
/// Keeps the sources of the current view and those after it being read into the page cache (MappedFile.WillNeed), up
/// to a window of bytes, so that a cold input is read while earlier views are gathered and written. One view ahead was
/// too little for a cold 10B (bench/README.md, "Cold floors"). The requests are made on a thread of their own, since
/// madvise may block while it queues a range's reads.
/// </summary>
public sealed class ReadAhead : IDisposable
{
    private readonly IReadOnlyList<TensorView> _views;
    private readonly long _window;
    private readonly BlockingCollection<TensorView> _requests = new();
    private readonly Thread _thread;
    private int _last = -1;

    /// <param name="prefetch">what a request does (tests observe it); ViewGather.Prefetch by default</param>
    public ReadAhead(IReadOnlyList<TensorView> views, long windowBytes = 512L << 20, Action<TensorView>? prefetch = null)
    {
        _views = views;
        _window = windowBytes;
        prefetch ??= ViewGather.Prefetch;
        _thread = new Thread(() =>
        {
            foreach (var v in _requests.GetConsumingEnumerable())
            {
                try { prefetch(v); }
                catch (ObjectDisposedException) { } // advice only: the checkpoint closed while its read-ahead was queued
            }
        })
        { IsBackground = true, Name = "read-ahead" };
        _thread.Start();
    }

    /// <summary>Called as view <paramref name="current"/> starts: requests it and the views after it, up to the window.</summary>
    public void From(int current)
    {
        long ahead = 0;
        for (int i = current + 1; i <= _last; i++) ahead += ViewGather.SourceBytes(_views[i]);
        while (_last + 1 < _views.Count && (_last < current || ahead < _window))
        {
            _requests.Add(_views[++_last]);
            if (_last > current) ahead += ViewGather.SourceBytes(_views[_last]);
        }
    }

    /// <summary>Drops what was not yet requested and waits for the request in progress (the maps outlive it).</summary>
    public void Dispose()
    {
        while (_requests.TryTake(out _)) { }
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }
}
