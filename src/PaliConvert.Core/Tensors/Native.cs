using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PaliConvert.Tensors;

/// <summary>open(2) flags (Linux; O_DIRECT's value differs by architecture, see <see cref="Native.DirectFlag"/>).</summary>
[Flags]
public enum OpenFlags
{
    ReadOnly = 0, WriteOnly = 0x1, ReadWrite = 0x2, Create = 0x40, Exclusive = 0x80, NonBlocking = 0x800, CloseOnExec = 0x80000,
}

/// <summary>madvise(2) advice.</summary>
public enum Advice { WillNeed = 3, DontNeed = 4 }

/// <summary>What statx(2) says a path or descriptor is: its type, and its identity (device and inode).</summary>
public readonly record struct FileIdentity(uint Mode, ulong Size, ulong Inode, uint DeviceMajor, uint DeviceMinor)
{
    private const uint TypeMask = 0xF000, Regular = 0x8000, Folder = 0x4000, Link = 0xA000;
    public bool IsRegular => (Mode & TypeMask) == Regular;
    public bool IsFolder => (Mode & TypeMask) == Folder;
    public bool IsSymlink => (Mode & TypeMask) == Link;
    public bool SameFile(FileIdentity o) => Inode == o.Inode && DeviceMajor == o.DeviceMajor && DeviceMinor == o.DeviceMinor;
}

/// <summary>
/// Every native call PaliConvert makes, in one place, over SafeFileHandle and typed flags: the C library's open,
/// lseek, statx, madvise, link and renameat2. Callers check <see cref="OperatingSystem.IsLinux"/> first where the call
/// is Linux's alone.
/// </summary>
public static partial class Native
{
    private const int AtCurrentDirectory = -100, AtEmptyPath = 0x1000, AtNoFollow = 0x100, StatxBasicStats = 0x7FF, StatxSize = 256;

    /// <summary>Opens <paramref name="path"/>; an invalid handle (check <see cref="SafeHandle.IsInvalid"/>) on failure.</summary>
    public static SafeFileHandle Open(string path, OpenFlags flags, int mode = 0) =>
        new(OpenFd(path, (int)flags, mode), ownsHandle: true);

    /// <summary>open with O_DIRECT added (0 where the architecture's value is not known).</summary>
    public static SafeFileHandle OpenDirect(string path, OpenFlags flags, int mode) =>
        new(OpenFd(path, (int)flags | DirectFlag(), mode), ownsHandle: true);

    /// <summary>open with O_NOFOLLOW added: a symlink at <paramref name="path"/> fails (ELOOP) instead of being followed.</summary>
    public static SafeFileHandle OpenNoFollow(string path, OpenFlags flags, int mode) =>
        new(OpenFd(path, (int)flags | NoFollowFlag(), mode), ownsHandle: true);

    private static int NoFollowFlag() =>
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    public static int DirectFlag() => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    public static int LastError => Marshal.GetLastPInvokeError();

    public static long SeekToEnd(SafeFileHandle fd) => LSeek(fd, 0, 2);

    /// <summary>statx of an open descriptor: what was opened, not what a path names now.</summary>
    public static unsafe FileIdentity? Identify(SafeFileHandle fd)
    {
        byte* buf = stackalloc byte[StatxSize];
        if (Statx(fd, "", AtEmptyPath, StatxBasicStats, buf) != 0) return null;
        return Read(buf);
    }

    /// <summary>statx of a path, following symlinks unless told not to (null where it does not exist or cannot be reached).</summary>
    public static unsafe FileIdentity? Identify(string path, bool followLinks = true)
    {
        byte* buf = stackalloc byte[StatxSize];
        if (StatxAt(AtCurrentDirectory, path, followLinks ? 0 : AtNoFollow, StatxBasicStats, buf) != 0) return null;
        return Read(buf);
    }

    // struct statx: stx_mode u16 at 28, stx_ino u64 at 32, stx_size u64 at 40, stx_dev_major/minor u32 at 136/140
    private static unsafe FileIdentity Read(byte* b) =>
        new(*(ushort*)(b + 28), *(ulong*)(b + 40), *(ulong*)(b + 32), *(uint*)(b + 136), *(uint*)(b + 140));

    public static int Advise(IntPtr address, UIntPtr length, Advice advice) => Madvise(address, length, (int)advice);

    public static int Link(string existing, string path) => LinkAt(existing, path);

    /// <summary>flock(LOCK_EX | LOCK_NB): 0 when this descriptor now holds the file's exclusive lock.</summary>
    public static int LockExclusive(SafeFileHandle fd) => Flock(fd, 2 | 4);

    /// <summary>renameat2(RENAME_EXCHANGE): the two paths swapped in one step.</summary>
    public static int Exchange(string a, string b) => RenameAt2(AtCurrentDirectory, a, AtCurrentDirectory, b, 2);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenFd(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(SafeFileHandle fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(SafeFileHandle fd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatxAt(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(IntPtr address, UIntPtr length, int advice);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAt(string existing, string path);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDir, string oldPath, int newDir, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial IntPtr Mmap(IntPtr address, UIntPtr length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(IntPtr address, UIntPtr length);

    /// <summary>Address space reserved for <paramref name="length"/> bytes (nothing mapped into it yet), or -1.</summary>
    public static IntPtr Reserve(long length) => Mmap(IntPtr.Zero, (UIntPtr)(ulong)length, 0, 0x02 | 0x20, -1, 0); // PRIVATE|ANONYMOUS

    /// <summary>A file mapped read-only at exactly <paramref name="at"/> (MAP_FIXED into a reservation), or -1.</summary>
    public static IntPtr MapAt(IntPtr at, long length, SafeFileHandle fd) =>
        Mmap(at, (UIntPtr)(ulong)length, 1, 0x01 | 0x10, (int)fd.DangerousGetHandle(), 0); // PROT_READ, SHARED|FIXED

    public static void Unmap(IntPtr at, long length) => _ = Munmap(at, (UIntPtr)(ulong)length);
}
