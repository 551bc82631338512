namespace PaliConvert.Pipeline;

/// <summary>
/// Work on a thread of its own beside the caller's (verify's forward passes beside the conversion that makes the
/// target, then beside the weights proof). Disposed before its result was taken (the caller failed), it is told to
/// stop and awaited, and its own failure is dropped for the caller's.
/// </summary>
public sealed class Beside<T> : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<T> _task;

    public Beside(Func<CancellationToken, T> work) => _task = Task.Factory.StartNew(() => work(_stop.Token),
        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Its result once done, or its exception as it was thrown.</summary>
    public T Result => _task.GetAwaiter().GetResult();

    public void Dispose()
    {
        if (!_task.IsCompleted) _stop.Cancel();
        ((IAsyncResult)_task).AsyncWaitHandle.WaitOne();
        _ = _task.Exception; // observed: a failure beside a failure of the caller's is not the one reported
        _stop.Dispose();
    }
}
