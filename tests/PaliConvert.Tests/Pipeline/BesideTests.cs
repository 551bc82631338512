using PaliConvert.Errors;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Pipeline;

public class BesideTests
{
    [Fact]
    public void ItsResultIsTheWorksOrTheWorksOwnException()
    {
        using (var done = new Beside<int>(_ => 42)) Assert.Equal(42, done.Result);
        using var failed = new Beside<int>(_ => throw new BadInputException("x.npz", "x.npz: broken"));
        var e = Assert.Throws<BadInputException>(() => failed.Result);
        Assert.Equal("x.npz: broken", e.Message);
    }

    [Fact]
    public void DisposedBeforeItsResultItStopsTheWorkAndDropsTheFailure()
    {
        using var started = new ManualResetEventSlim();
        bool stopped = false;
        var work = new Beside<int>(stop =>
        {
            started.Set();
            stopped = stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)); // false only if Dispose never tells it to stop
            stop.ThrowIfCancellationRequested();
            return 0;
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        work.Dispose(); // the caller failed: its failure is the one that counts, so none is thrown here
        Assert.True(stopped);
    }
}
