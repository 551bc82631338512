using System.Runtime.InteropServices;

namespace PaliConvert.IO;

/// <summary>Linux's renameat2(RENAME_EXCHANGE): two paths swapped in one step, so neither is ever missing.</summary>
public static partial class Rename
{
    private const int AtCurrentDirectory = -100, RenameExchange = 2;

    /// <summary>Swaps the two paths; false where the system or file system cannot (the caller falls back).</summary>
    public static bool Exchange(string a, string b)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return RenameAt2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) == 0; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDir, string oldPath, int newDir, string newPath, uint flags);
}
