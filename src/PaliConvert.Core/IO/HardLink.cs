using System.Runtime.InteropServices;

namespace PaliConvert.IO;

/// <summary>link(2): a second name for a file's data, so a new version of a folder shares the files it keeps.</summary>
public static partial class HardLink
{
    /// <summary>Links <paramref name="existing"/> as <paramref name="path"/>, or copies it where the file system cannot link.</summary>
    public static void LinkOrCopy(string existing, string path)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            try { if (Link(existing, path) == 0) return; }
            catch (EntryPointNotFoundException) { }
        }
        File.Copy(existing, path);
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string path);
}
