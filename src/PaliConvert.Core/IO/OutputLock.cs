namespace PaliConvert.IO;

/// <summary>
/// An exclusive lock on '.NAME.lock' beside an output (flock, which .NET takes for FileShare.None on Unix): a second run
/// on the same output is refused while the first lives; the kernel drops the lock when its holder dies, even by kill -9.
/// </summary>
public sealed class OutputLock : IDisposable
{
    private readonly FileStream _stream;

    private OutputLock(FileStream stream) => _stream = stream;

    public static OutputLock Acquire(string target)
    {
        string path = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.lock");
        try
        {
            return new OutputLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1,
                FileOptions.DeleteOnClose));
        }
        catch (IOException) when (File.Exists(path))
        {
            var holders = Leftovers.Writers(target);
            string who = holders.Count > 0 ? $" (process {string.Join(", ", holders)})" : "";
            throw new OutputException(target, $"{target} is being written by another paliconvert run{who}; wait for it or choose another " +
                $"output");
        }
    }

    public void Dispose() => _stream.Dispose();
}
