using System.Runtime.InteropServices;

namespace PaliConvert.Tensors;

/// <summary>
/// Inputs must be regular files: opening a FIFO for reading blocks until a writer comes, so a named pipe given as a
/// checkpoint would hang the tool. On Linux the path is opened without blocking and must be seekable.
/// </summary>
public static partial class RegularFile
{
    private const int ReadOnlyNonBlocking = 0x800 | 0x80000; // O_RDONLY | O_NONBLOCK | O_CLOEXEC (Linux)
    private const int SeekEnd = 2;

    public static void Require(string path)
    {
        if (!File.Exists(path)) throw new BadInputException(path, $"{path}: no such file");
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(path, ReadOnlyNonBlocking);
        if (fd < 0) throw new BadInputException(path, $"{path}: not a regular file (it cannot be opened as one)");
        try
        {
            if (Seek(fd, 0, SeekEnd) < 0) throw new BadInputException(path, $"{path}: not a regular file (a pipe, socket or stream)");
        }
        finally { _ = Close(fd); }
    }

    /// <summary>The whole file, once it is known to be a regular one.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        Require(path);
        return Reading(path, () => File.ReadAllBytes(path));
    }

    /// <summary>Opens a regular file for reading.</summary>
    public static FileStream OpenRead(string path)
    {
        Require(path);
        return Reading(path, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read));
    }

    /// <summary>
    /// Runs a read of <paramref name="path"/>; what the system refuses (permission, a vanished file, an I/O error) is
    /// the input's problem, reported naming it.
    /// </summary>
    public static T Reading<T>(string path, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException(path, $"{path}: cannot be read: {e.Message}", inner: e);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "lseek")]
    private static partial long Seek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
