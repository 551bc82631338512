using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PaliConvert.IO;

/// <summary>
/// A new file written with O_DIRECT where Linux and the file system allow it: the disk reads our buffers itself, so
/// writing skips the page cache's copy (on this machine kind that copy, not the disk, bound a 12 GB write: bench/README).
/// Writes must then start and end on <see cref="Alignment"/> from aligned memory; WriteBehindStream keeps to that.
/// Elsewhere (tmpfs, other systems) the file is an ordinary unbuffered FileStream.
/// </summary>
public static partial class DirectFile
{
    public const int Alignment = 4096;
    private const int InvalidArgument = 22; // EINVAL
    private const int CreateNewForWriting = 0x1 | 0x40 | 0x80 | 0x80000; // O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC

    /// <summary>Creates <paramref name="path"/> (which must not exist); <c>direct</c> says whether O_DIRECT took.</summary>
    public static FileStream CreateNew(string path, out bool direct)
    {
        direct = false;
        int flag = DirectFlag();
        if (flag != 0 && Environment.GetEnvironmentVariable("PALICONVERT_NO_DIRECT") == null)
        {
            int fd = Open(path, CreateNewForWriting | flag, Convert.ToInt32("644", 8));
            if (fd >= 0)
            {
                direct = true;
                return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
            }
            // EINVAL: the file system refused O_DIRECT, perhaps after making the name, which O_EXCL says is ours. Any
            // other failure (the file exists, no permission) is left for FileStream to report: nothing is deleted.
            if (Marshal.GetLastPInvokeError() == InvalidArgument && File.Exists(path)) File.Delete(path);
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

    /// <summary>O_DIRECT's value differs by architecture; 0 where it is not known.</summary>
    private static int DirectFlag() => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);
}
