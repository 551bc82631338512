namespace PaliConvert.Tensors;

/// <summary>
/// Inputs must be regular files: opening a FIFO for reading blocks until a writer comes, and a device (/dev/zero as
/// a config) never ends. On Linux the path is opened without blocking (symlinks followed, as the Hugging Face cache's
/// snapshots need) and what was opened must be a regular file by its own statx, not by what the path says later.
/// </summary>
public static class RegularFile
{
    public static void Require(string path)
    {
        if (Directory.Exists(path)) throw new BadInputException(path, $"{path}: is a folder, where a file is expected");
        if (!File.Exists(path)) throw new BadInputException(path, $"{path}: no such file");
        if (!OperatingSystem.IsLinux()) return;
        using var fd = Native.Open(path, OpenFlags.ReadOnly | OpenFlags.NonBlocking | OpenFlags.CloseOnExec);
        if (fd.IsInvalid) throw new BadInputException(path, $"{path}: cannot be opened (error {Native.LastError})");
        var id = Native.Identify(fd);
        if (id is { IsRegular: false } || id == null && Native.SeekToEnd(fd) < 0)
            throw new BadInputException(path, $"{path}: not a regular file (a device, pipe, socket or stream); give a file");
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
}
