namespace PaliConvert.IO;

/// <summary>
/// Output that appears only when complete: work happens in a hidden temporary path beside the target, which is
/// renamed onto the target by <see cref="Commit"/>. Disposing without committing deletes the temporary path,
/// so a failure leaves neither a half-written file nor a damaged existing one.
/// </summary>
public sealed class AtomicOutput : IDisposable
{
    public string Target { get; }
    public string TempPath { get; }
    public bool IsFolder { get; }
    private bool _committed;
    private static readonly HashSet<AtomicOutput> Open = new();

    /// <summary>Removes every temporary output still open: for an interrupted process (Ctrl-C), which disposes nothing.</summary>
    public static void AbandonAll()
    {
        AtomicOutput[] open;
        lock (Open) open = Open.ToArray();
        foreach (var o in open) o.Dispose();
    }

    private AtomicOutput(string target, bool folder, bool force)
    {
        Target = Path.GetFullPath(target.TrimEnd('/', '\\'));
        IsFolder = folder;
        var parent = Path.GetDirectoryName(Target) ?? ".";
        if (File.Exists(parent)) throw new IOException($"{parent} is a file, so the output cannot go inside it");
        Directory.CreateDirectory(parent);
        bool exists = folder ? Directory.Exists(Target) && Directory.EnumerateFileSystemEntries(Target).Any() : File.Exists(Target);
        if (exists && !force) throw new OutputExistsException($"{Target} already exists{(folder ? " and is not empty" : "")}");
        if (folder && File.Exists(Target)) throw new IOException($"{Target} is a file, not a folder");
        TempPath = Path.Combine(parent, $".{Path.GetFileName(Target)}.partial-{Guid.NewGuid().ToString("N")[..8]}");
        if (folder) Directory.CreateDirectory(TempPath);
        lock (Open) Open.Add(this);
    }

    public static AtomicOutput ForFile(string target, bool force) => new(target, false, force);
    public static AtomicOutput ForFolder(string target, bool force) => new(target, true, force);

    /// <summary>A path inside the temporary folder (folder outputs only).</summary>
    public string Inside(string fileName) => IsFolder ? Path.Combine(TempPath, fileName)
        : throw new InvalidOperationException("not a folder output");

    public void Commit()
    {
        if (IsFolder)
        {
            if (Directory.Exists(Target)) Directory.Delete(Target, recursive: true);
            Directory.Move(TempPath, Target);
        }
        else File.Move(TempPath, Target, overwrite: true);
        _committed = true;
        lock (Open) Open.Remove(this);
    }

    public void Dispose()
    {
        lock (Open) Open.Remove(this);
        if (_committed) return;
        try
        {
            if (IsFolder && Directory.Exists(TempPath)) Directory.Delete(TempPath, recursive: true);
            else if (!IsFolder && File.Exists(TempPath)) File.Delete(TempPath);
        }
        catch (IOException) { /* best effort: the original error matters more */ }
    }
}
