using Microsoft.Win32.SafeHandles;

namespace PaliConvert.Tensors;

/// <summary>
/// The one place inputs are opened. They must be regular files: opening a FIFO for reading blocks until a writer comes,
/// and a device (/dev/zero as a config) never ends. On Linux the path is opened without blocking (symlinks followed, as
/// the Hugging Face cache's snapshots need) and what was opened must be a regular file by its own statx, not by what
/// the path says later; whole-file reads are of that descriptor, and bounded.
/// </summary>
public static class RegularFile
{
    /// <summary>The most a file read whole may hold (configs, indexes, rules, tokenizers): far above any real one.</summary>
    public const long SmallFileLimit = 256L << 20;

    public static void Require(string path)
    {
        using var fd = Open(path);
    }

    /// <summary>The path opened for reading, once it is known to be a regular file.</summary>
    public static SafeFileHandle Open(string path)
    {
        if (Directory.Exists(path)) throw new BadInputException(path, $"{path}: is a folder, where a file is expected");
        if (!File.Exists(path)) throw new BadInputException(path, $"{path}: no such file");
        if (!OperatingSystem.IsLinux()) return Reading(path, () => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));
        var fd = Native.Open(path, OpenFlags.ReadOnly | OpenFlags.NonBlocking | OpenFlags.CloseOnExec);
        if (fd.IsInvalid) throw new BadInputException(path, $"{path}: cannot be opened (error {Native.LastError})");
        var id = Native.Identify(fd);
        if (id is { IsRegular: false } || id == null && Native.SeekToEnd(fd) < 0)
        {
            fd.Dispose();
            throw new BadInputException(path, $"{path}: not a regular file (a device, pipe, socket or stream); give a file");
        }
        return fd;
    }

    /// <summary>The whole file, read from the descriptor checked to be a regular file, refused above <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes = SmallFileLimit)
    {
        using var fd = Open(path);
        return Reading(path, () =>
        {
            long size = RandomAccess.GetLength(fd);
            if (size > maxBytes)
                throw new BadInputException(path, $"{path}: is {size:N0} bytes, more than the {maxBytes:N0} a file of its kind may " +
                    "hold; is it the right file?");
            var bytes = new byte[size];
            for (int done = 0; done < bytes.Length;)
            {
                int n = RandomAccess.Read(fd, bytes.AsSpan(done), done);
                if (n == 0) throw new BadInputException(path, $"{path}: ended at {done:N0} of {size:N0} bytes while being read");
                done += n;
            }
            return bytes;
        });
    }

    /// <summary>Opens a regular file for reading.</summary>
    public static FileStream OpenRead(string path)
    {
        var fd = Open(path);
        return Reading(path, () => new FileStream(fd, FileAccess.Read));
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
}
