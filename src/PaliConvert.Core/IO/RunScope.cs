namespace PaliConvert.IO;

/// <summary>What a warning is about, so that a caller can act on it without matching its words.</summary>
public enum WarningKind
{
    /// <summary>Facts no file states were assumed from big_vision's defaults.</summary>
    AssumedFacts,
    /// <summary>An output a killed run had moved aside was found where no output is, and left as it is.</summary>
    OldOutputLeft,
    /// <summary>Partial outputs a killed run left were removed.</summary>
    RemovedPartials,
    /// <summary>Replacing a hub folder removes variants of other weights.</summary>
    ReplacedVariants,
}

public sealed record RunWarning(WarningKind Kind, string Message);

/// <summary>
/// The state of one command run, owned by whoever runs it: the warnings it raised (each once, in order) and the
/// outputs it has open, which <see cref="Abandon"/> removes (the CLI's signal handler calls it). Nothing of a run is
/// process-wide, so two runs in one process (tests, a host embedding PaliConvert) never see each other's.
/// </summary>
public sealed class RunScope : IDisposable
{
    private readonly List<RunWarning> _warnings = [];
    private readonly HashSet<string> _seen = [];
    private readonly HashSet<AtomicOutput> _open = [];

    /// <summary>Raised as each new warning arrives (the CLI prints it then, not after a long run).</summary>
    public event Action<RunWarning>? Warned;

    public IReadOnlyList<RunWarning> Warnings
    {
        get { lock (_warnings) return _warnings.ToList(); }
    }

    /// <summary>Records a warning, once per message: one model may be opened several times in a run.</summary>
    public void Warn(WarningKind kind, string message)
    {
        var w = new RunWarning(kind, message);
        lock (_warnings)
        {
            if (!_seen.Add(message)) return;
            _warnings.Add(w);
        }
        Warned?.Invoke(w);
    }

    internal void Track(AtomicOutput o) { lock (_open) _open.Add(o); }
    internal void Untrack(AtomicOutput o) { lock (_open) _open.Remove(o); }

    /// <summary>Removes every output of this run still being written (an interrupted run disposes nothing itself).</summary>
    public void Abandon()
    {
        AtomicOutput[] open;
        lock (_open) open = _open.ToArray();
        foreach (var o in open) o.Dispose();
    }

    public void Dispose() => Abandon();
}
