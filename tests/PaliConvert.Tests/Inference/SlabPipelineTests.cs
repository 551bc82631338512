using System.Collections.Concurrent;
using PaliConvert.Inference;

namespace PaliConvert.Tests.Inference;

/// <summary>
/// The slab queue's order, with workers made late at random: a panel runs after its slab's reads and after the same
/// panel of the slab before; a slab's reads wait until the slab that had its buffer is done; every item runs once;
/// the last slab's pieces of panels run after their panel's slab before; a failing read surfaces as itself, and the
/// other worker stops rather than waiting for it.
/// </summary>
public class SlabPipelineTests
{
    [Theory]
    [InlineData(1, 1, 2, 1), InlineData(2, 3, 2, 1), InlineData(9, 5, 2, 1), InlineData(30, 1, 2, 1), InlineData(7, 64, 2, 1),
        InlineData(12, 3, 4, 1), InlineData(8, 1, 3, 1), InlineData(1, 4, 2, 3), InlineData(2, 5, 2, 7), InlineData(9, 6, 3, 2)]
    public void EveryItemRunsOnceAfterWhatItNeeds(int slabs, int panels, int workers, int pieces)
    {
        // the last slab's last two panels in pieces, as MatMul.LastPanels makes them
        var lastOf = Enumerable.Range(0, panels).SelectMany(t => Enumerable.Repeat(t, t >= panels - 2 ? pieces : 1)).ToArray();
        ThreadPool.GetMinThreads(out int min, out int io);
        ThreadPool.SetMinThreads(Math.Max(min, 8), io); // every worker at once, not injected half a second apart
        var reads = Enumerable.Range(0, slabs).Select(k => 1 + k % 3).ToArray();
        var readsDone = new int[slabs];
        var panelsDone = new int[slabs];
        var piecesDone = new int[lastOf.Length];
        var finished = new int[panels]; // slabs each panel has finished
        var errors = new ConcurrentQueue<string>();
        var rng = new ThreadLocal<Random>(() => new Random(Environment.CurrentManagedThreadId));
        new SlabPipeline(slabs, panels, reads, lastOf).Run(workers, (k, r) =>
        {
            Late(rng.Value!);
            if (k >= SlabPipeline.Buffers && Volatile.Read(ref panelsDone[k - SlabPipeline.Buffers]) != panels)
                errors.Enqueue($"slab {k} read into a buffer slab {k - SlabPipeline.Buffers} still used");
            Interlocked.Increment(ref readsDone[k]);
        }, (k, t) =>
        {
            if (Volatile.Read(ref readsDone[k]) != reads[k]) errors.Enqueue($"panel {t} of slab {k} before its reads");
            int of = k == slabs - 1 ? lastOf[t] : t;
            if (Volatile.Read(ref finished[of]) != k) errors.Enqueue($"panel {t} of slab {k} before slab {k - 1}'s");
            if (k == 0 && t == 0) Thread.Sleep(300); // one worker very late: the others must wait, not run ahead
            else Late(rng.Value!);
            if (k == slabs - 1) Interlocked.Increment(ref piecesDone[t]);
            else Interlocked.Increment(ref finished[t]);
            Interlocked.Increment(ref panelsDone[k]);
        });
        Assert.Empty(errors);
        Assert.Equal(reads, readsDone);
        Assert.All(panelsDone[..^1], n => Assert.Equal(panels, n));
        Assert.Equal(lastOf.Length, panelsDone[^1]);
        Assert.All(finished, n => Assert.Equal(slabs - 1, n));
        Assert.All(piecesDone, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task AFailingReadSurfacesAsItselfAndStopsTheOtherWorker()
    {
        int computed = 0;
        var run = Task.Run(() => new SlabPipeline(20, 4, Enumerable.Repeat(2, 20).ToArray()).Run(2, (k, r) =>
        {
            if (k == 5) throw new IOException("slab 5 cut short");
        }, (k, t) => Interlocked.Increment(ref computed)));
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == run, "the queue hung on a failed read");
        var e = await Assert.ThrowsAsync<IOException>(() => run);
        Assert.Equal("slab 5 cut short", e.Message);
        Assert.True(computed <= 5 * 4, $"{computed} panels ran, past the failed slab");
    }

    private static void Late(Random rng)
    {
        if (rng.Next(4) == 0) Thread.Sleep(rng.Next(3));
        else Thread.SpinWait(rng.Next(2000));
    }
}
