using PaliConvert.Tensors;

namespace PaliConvert.IO;

/// <summary>
/// A new file written with O_DIRECT where Linux and the file system allow it: the disk reads our buffers itself, so
/// writing skips the page cache's copy (on this machine kind that copy, not the disk, bound a 12 GB write: bench/README).
/// Writes must then start and end on <see cref="Alignment"/> from aligned memory; WriteBehindStream keeps to that.
/// Elsewhere (tmpfs, other systems) the file is an ordinary unbuffered FileStream.
/// </summary>
public static class DirectFile
{
    public const int Alignment = 4096;
    private const int InvalidArgument = 22; // EINVAL
    private const OpenFlags CreateNewForWriting = OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.CloseOnExec;

    /// <summary>Creates <paramref name="path"/> (which must not exist); <c>direct</c> says whether O_DIRECT took.</summary>
    public static FileStream CreateNew(string path, out bool direct)
    {
        direct = false;
        if (Native.DirectFlag() != 0 && Environment.GetEnvironmentVariable("PALICONVERT_NO_DIRECT") == null)
        {
            var fd = Native.OpenDirect(path, CreateNewForWriting, Convert.ToInt32("644", 8));
            int error = Native.LastError;
            if (!fd.IsInvalid)
            {
                direct = true;
                return new FileStream(fd, FileAccess.Write, bufferSize: 0);
            }
            fd.Dispose();
            // EINVAL: the file system refused O_DIRECT, perhaps after making the name, which O_EXCL says is ours. Any
            // other failure (the file exists, no permission) is left for FileStream to report: nothing is deleted.
            if (error == InvalidArgument && File.Exists(path)) File.Delete(path);
        }
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
    }

    /// <summary>
    /// Makes finished files durable (fsync) together at the end: a flush of each shard as it ended stopped the
    /// pipeline while the disk flushed its cache.
    /// </summary>
    public static void FlushToDisk(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
            f.Flush(flushToDisk: true);
        }
    }
}
