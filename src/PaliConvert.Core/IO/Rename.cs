namespace PaliConvert.IO;

/// <summary>Linux's renameat2(RENAME_EXCHANGE): two paths swapped in one step, so neither is ever missing.</summary>
public static class Rename
{
    /// <summary>Swaps the two paths; false where the system or file system cannot (the caller falls back).</summary>
    public static bool Exchange(string a, string b)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return Tensors.Native.Exchange(a, b) == 0; }
        catch (EntryPointNotFoundException) { return false; }
    }
}
