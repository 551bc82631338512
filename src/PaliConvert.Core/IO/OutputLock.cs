using Microsoft.Win32.SafeHandles;
using PaliConvert.Tensors;

namespace PaliConvert.IO;

/// <summary>
/// An exclusive lock on '.NAME.lock' beside an output (flock): a second run on the same output is refused while the
/// first lives; the kernel drops the lock when its holder dies, even by kill -9. The lock file is opened without
/// following a symlink, and must be a regular file, so a planted link cannot make a run create a file elsewhere.
/// </summary>
public sealed class OutputLock : IDisposable
{
    private readonly FileStream? _stream;
    private readonly SafeFileHandle? _fd;
    private readonly string _path;

    private OutputLock(string path, FileStream? stream, SafeFileHandle? fd) => (_path, _stream, _fd) = (path, stream, fd);

    public static OutputLock Acquire(string target)
    {
        string path = Path.Combine(Path.GetDirectoryName(target)!, $".{Leftovers.HiddenName(target)}.lock");
        if (!OperatingSystem.IsLinux()) return Portable(target, path);
        var fd = Native.OpenNoFollow(path, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.NonBlocking | OpenFlags.CloseOnExec,
            Convert.ToInt32("600", 8));
        if (fd.IsInvalid || Native.Identify(fd) is not { IsRegular: true })
        {
            fd.Dispose();
            throw new OutputException(target, $"{target}: its lock {path} is not a regular file PaliConvert can create (a symbolic " +
                $"link, a folder or a device: error {Native.LastError}); remove it, or choose another output");
        }
        if (Native.LockExclusive(fd) != 0)
        {
            fd.Dispose();
            throw Busy(target);
        }
        return new OutputLock(path, null, fd);
    }

    private static OutputLock Portable(string target, string path)
    {
        try
        {
            return new OutputLock(path, new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1,
                FileOptions.DeleteOnClose), null);
        }
        catch (IOException) when (File.Exists(path)) { throw Busy(target); }
    }

    private static OutputException Busy(string target)
    {
        var holders = Leftovers.Writers(target);
        string who = holders.Count > 0 ? $" (process {string.Join(", ", holders)})" : "";
        return new OutputException(target, $"{target} is being written by another paliconvert run{who}; wait for it or choose another " +
            "output");
    }

    public void Dispose()
    {
        if (_fd is { IsClosed: false })
        {
            try { File.Delete(_path); } // while still held, as DeleteOnClose does
            catch (IOException) { /* the next run takes the lock over an old file */ }
            _fd.Dispose();
        }
        _stream?.Dispose();
    }
}
