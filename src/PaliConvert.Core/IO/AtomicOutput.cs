namespace PaliConvert.IO;

/// <summary>
/// Output that appears only when complete: work happens in a hidden temporary path beside the target (named with the
/// writer's process id), which <see cref="Commit"/> puts in the target's place in one step, the old output being swapped
/// out and then deleted, so the target always holds a complete output. Disposing without committing deletes the
/// temporary path. One run at a time may write a target (an exclusive lock the kernel releases if the holder dies);
/// the next run removes what a killed run left. An output may not be, contain or lie inside one of the inputs.
/// </summary>
public sealed class AtomicOutput : IDisposable
{
    public string Target { get; }
    public string TempPath { get; }
    public bool IsFolder { get; }
    private readonly OutputLock _lock;
    private bool _committed;
    private readonly RunScope _scope;
    /// <summary>Held while committing: a signal's dispose waits for the swap and the old version's removal to end.</summary>
    private readonly object _gate = new();

    private AtomicOutput(RunScope scope, string target, bool folder, bool force, IEnumerable<string> inputs)
    {
        if (!folder && (target.EndsWith('/') || target.EndsWith(Path.DirectorySeparatorChar)))
            throw new OutputException(target, $"{target} names a folder (it ends with '/'), where a file is written; give the file's " +
                "name");
        _scope = scope;
        Target = Path.GetFullPath(target.TrimEnd('/', '\\'));
        IsFolder = folder;
        (_lock, TempPath) = Guard(Target, () => Claim(force, inputs));
        scope.Track(this);
    }

    private (OutputLock, string) Claim(bool force, IEnumerable<string> inputs)
    {
        bool folder = IsFolder;
        OutputPlace.Check(Target, inputs);
        var parent = Path.GetDirectoryName(Target) ?? ".";
        if (File.Exists(parent)) throw new OutputException(Target, $"{parent} is a file, so the output cannot go inside it");
        Directory.CreateDirectory(parent);
        if (folder && File.Exists(Target)) throw new OutputException(Target, $"{Target} is a file, not a folder");
        if (!folder && Directory.Exists(Target)) throw new OutputException(Target, $"{Target} is a folder, not a file");
        var held = OutputLock.Acquire(Target);
        try
        {
            Leftovers.Clean(Target, _scope);
            bool exists = folder ? Directory.Exists(Target) && Directory.EnumerateFileSystemEntries(Target).Any() : File.Exists(Target);
            if (exists && !force)
                throw new OutputExistsException(Target, $"{Target} already exists{(folder ? " and is not empty" : "")}" +
                    (LooksLikeACheckpoint(Target) ? "; it is a checkpoint itself: is the direction backwards? (the input " +
                        "comes first)" : ""));
            if (exists && folder) OutputPlace.RefuseForeignFolder(Target);
            string temp = Leftovers.NewPath(Target, Leftovers.Partial);
            if (folder) Directory.CreateDirectory(temp);
            return (held, temp);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>A file output of <paramref name="scope"/>'s run (its signal handler removes it if the run is stopped).</summary>
    public static AtomicOutput ForFile(RunScope scope, string target, bool force, params string[] inputs) =>
        new(scope, target, false, force, inputs);

    public static AtomicOutput ForFolder(RunScope scope, string target, bool force, params string[] inputs) =>
        new(scope, target, true, force, inputs);

    /// <summary>An output outside any run's scope (its warnings are dropped; nothing removes it but its own dispose).</summary>
    public static AtomicOutput ForFile(string target, bool force, params string[] inputs) => ForFile(new RunScope(), target, force, inputs);
    public static AtomicOutput ForFolder(string target, bool force, params string[] inputs) =>
        ForFolder(new RunScope(), target, force, inputs);

    /// <summary>A path inside the temporary folder (folder outputs only).</summary>
    public string Inside(string fileName) => IsFolder ? Path.Combine(TempPath, fileName)
        : throw new InvalidOperationException("not a folder output");

    /// <summary>
    /// For a new version of an existing folder: every file of the current target that the new version does not hold yet
    /// and <paramref name="keep"/> accepts (by path relative to the folder) is linked in, so it is kept without a copy.
    /// Kept files must not be written afterwards (they share their data with the current version).
    /// </summary>
    public void KeepFromTarget(Func<string, bool> keep)
    {
        if (!IsFolder || !Directory.Exists(Target)) return;
        foreach (var file in Directory.EnumerateFiles(Target, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(Target, file), to = Path.Combine(TempPath, rel);
            if (!keep(rel) || File.Exists(to)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            HardLink.LinkOrCopy(file, to);
        }
    }

    /// <summary>
    /// Runs the writing of this output: what the system refuses (a full disk, permissions, an I/O error) is reported
    /// naming the output, whose partial version is then removed on dispose.
    /// </summary>
    public void Writing(Action write) => Guard(Target, () => { write(); return 0; });

    private static T Guard<T>(string target, Func<T> write)
    {
        try { return write(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            const string failed = "writing failed: "; // a write-behind failure says so already
            string why = e.Message.StartsWith(failed, StringComparison.Ordinal) ? e.Message[failed.Length..] : e.Message;
            throw new OutputException(target, $"{target}: writing failed: {why}; the partial output is removed", e);
        }
    }

    public void Commit() => Guard(Target, () =>
    {
        lock (_gate) CommitNow();
        return 0;
    });

    private void CommitNow()
    {
        bool exists = IsFolder ? Directory.Exists(Target) : File.Exists(Target);
        if (!IsFolder) File.Move(TempPath, Target, overwrite: true); // rename(2): the old file is replaced in one step
        else if (!exists) Directory.Move(TempPath, Target);
        else if (Rename.Exchange(TempPath, Target)) Directory.Delete(TempPath, recursive: true); // the old output, swapped out
        else
        {
            // no atomic exchange here: move the old output aside first; a run killed in between is repaired by the next run
            string aside = Leftovers.NewPath(Target, Leftovers.Old);
            Directory.Move(Target, aside);
            Directory.Move(TempPath, Target);
            Directory.Delete(aside, recursive: true);
        }
        _committed = true;
        _scope.Untrack(this);
        _lock.Dispose();
    }

    public void Dispose()
    {
        lock (_gate) DisposeNow();
    }

    private void DisposeNow()
    {
        _scope.Untrack(this);
        if (!_committed)
        {
            try
            {
                if (IsFolder && Directory.Exists(TempPath)) Directory.Delete(TempPath, recursive: true);
                else if (!IsFolder && File.Exists(TempPath)) File.Delete(TempPath);
            }
            catch (IOException) { /* best effort: the original error matters more; the next run removes it */ }
        }
        _lock.Dispose();
    }

    /// <summary>An .npz file, or a folder holding a model: what a user who swapped input and output would be about to replace.</summary>
    private static bool LooksLikeACheckpoint(string path) =>
        File.Exists(path) ? path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)
            : new[] { "config.json", "model.safetensors", "model.safetensors.index.json", "model.onnx" }
                .Any(f => File.Exists(Path.Combine(path, f)));
}
