using System.Runtime.ExceptionServices;

namespace PaliConvert.Inference;

/// <summary>
/// An [in, out] product's work as one queue the cores take items from in order, with no barrier between slabs: the
/// reads that fill slab k+2 come after slab k's panels, into the buffer slab k-1 used (three in turn), and a panel of
/// slab k waits only for its slab's reads and for the same panel of slab k-1 (both add to the same sums). A barrier
/// per slab idled a core whenever the other was late (a busy host takes turns with it), some 3,000 times a 3B pass.
/// An item waits only on items taken before it, each of which some worker is running, so the queue cannot deadlock.
/// The last slab's panels may be pieces of the others' (its last items small, so that the cores finish together).
/// </summary>
internal sealed class SlabPipeline
{
    /// <summary>Slab buffers in turn: slab k+2 is read while slab k is computed and slab k-1 finishes.</summary>
    public const int Buffers = 3;

    private readonly (bool Read, int Slab, int Index)[] _items;
    private readonly int[] _readsLeft, _panelsLeft, _panelDone, _lastOf;
    private int _next;
    private volatile Exception? _failure;

    /// <param name="slabs">Slabs in the product.</param>
    /// <param name="panels">Panels per slab.</param>
    /// <param name="reads">The read pieces that fill each slab.</param>
    /// <param name="lastOf">The last slab's items, each as the panel it is (a piece of): by default the panels.</param>
    public SlabPipeline(int slabs, int panels, int[] reads, int[]? lastOf = null)
    {
        _lastOf = lastOf ?? Enumerable.Range(0, panels).ToArray();
        int Panels(int k) => k == slabs - 1 ? _lastOf.Length : panels;
        var items = new List<(bool, int, int)>();
        void Reads(int k)
        {
            if (k < slabs) items.AddRange(Enumerable.Range(0, reads[k]).Select(r => (true, k, r)));
        }
        Reads(0);
        Reads(1);
        for (int k = 0; k < slabs; k++)
        {
            items.AddRange(Enumerable.Range(0, Panels(k)).Select(t => (false, k, t)));
            Reads(k + 2);
        }
        _items = items.ToArray();
        (_readsLeft, _panelsLeft) = (reads.ToArray(), Enumerable.Range(0, slabs).Select(Panels).ToArray());
        _panelDone = new int[panels];
    }

    /// <summary>Runs every item on <paramref name="cores"/> workers: read(slab, piece), compute(slab, panel).</summary>
    public void Run(int cores, Action<int, int> read, Action<int, int> compute)
    {
        Parallel.For(0, cores, new ParallelOptions { MaxDegreeOfParallelism = cores }, _ =>
        {
            try
            {
                for (int i; _failure == null && (i = Interlocked.Increment(ref _next) - 1) < _items.Length;)
                    Do(_items[i], read, compute);
            }
            catch (Exception e)
            {
                _failure ??= e;
            }
        });
        if (_failure is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    private void Do((bool Read, int Slab, int Index) item, Action<int, int> read, Action<int, int> compute)
    {
        var (isRead, k, index) = item;
        if (isRead)
        {
            if (k >= Buffers && !Await(ref _panelsLeft[k - Buffers], 0)) return; // its buffer still in use
            read(k, index);
            Interlocked.Decrement(ref _readsLeft[k]);
            return;
        }
        bool last = k == _panelsLeft.Length - 1;
        if (!Await(ref _readsLeft[k], 0) || !Await(ref _panelDone[last ? _lastOf[index] : index], k)) return;
        compute(k, index);
        if (!last) Volatile.Write(ref _panelDone[index], k + 1); // the last slab's pieces: nothing waits on them
        Interlocked.Decrement(ref _panelsLeft[k]);
    }

    /// <summary>Spins (yielding, never sleeping a whole millisecond) until value equals <paramref name="want"/>;
    /// false where another worker failed meanwhile.</summary>
    private bool Await(ref int value, int want)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref value) != want)
        {
            if (_failure != null) return false;
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return true;
    }
}
