namespace PaliConvert.IO;

/// <summary>link(2): a second name for a file's data, so a new version of a folder shares the files it keeps.</summary>
public static class HardLink
{
    /// <summary>Links <paramref name="existing"/> as <paramref name="path"/>, or copies it where the file system cannot link.</summary>
    public static void LinkOrCopy(string existing, string path)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            try { if (Tensors.Native.Link(existing, path) == 0) return; }
            catch (EntryPointNotFoundException) { }
        }
        File.Copy(existing, path);
    }
}
