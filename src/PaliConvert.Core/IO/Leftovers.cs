using System.Globalization;
using PaliConvert.Tensors;

namespace PaliConvert.IO;

/// <summary>
/// The hidden paths beside an output: '.NAME.partial-PID-XXXX' (being written) and '.NAME.old-PID-XXXX' (an old output
/// moved aside). Whoever holds the output's lock knows every one of them is left over from a run that died.
/// </summary>
public static class Leftovers
{
    public const string Partial = "partial", Old = "old";

    public static string NewPath(string target, string kind) =>
        Path.Combine(Path.GetDirectoryName(target)!,
            $".{HiddenName(target)}.{kind}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    /// <summary>
    /// The target's name as the hidden names beside it carry it: whole when short, else its start and a hash of the whole,
    /// so that a name near the system's 255-byte limit still leaves room for the suffixes.
    /// </summary>
    public static string HiddenName(string target)
    {
        string name = Path.GetFileName(target);
        if (System.Text.Encoding.UTF8.GetByteCount(name) <= MaxKept) return name;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16];
        int keep = 0, bytes = 0;
        while (keep < name.Length && bytes + System.Text.Encoding.UTF8.GetByteCount(name, keep, 1) <= MaxKept - 17)
            bytes += System.Text.Encoding.UTF8.GetByteCount(name, keep++, 1);
        if (keep > 0 && char.IsHighSurrogate(name[keep - 1])) keep--;
        return $"{name[..keep]}~{hash}";
    }

    private const int MaxKept = 200;

    private static IEnumerable<string> Of(string target, string kind) =>
        Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(target)!, $".{HiddenName(target)}.{kind}-*");

    /// <summary>The process ids in the partial outputs' names: who is writing the target.</summary>
    public static List<int> Writers(string target) => Of(target, Partial)
        .Select(p => Path.GetFileName(p).Split('-')).Where(parts => parts.Length >= 3)
        .Select(parts => int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : -1)
        .Where(pid => pid > 0).Distinct().ToList();

    /// <summary>
    /// With the output's lock held: removes partials, and an old output a killed run had moved aside once the target
    /// exists again. Where the target is missing the old output is left where it is, named in a warning: nothing can
    /// tell it from a file someone planted there, so it is never made the output.
    /// </summary>
    public static void Clean(string target, RunScope scope)
    {
        foreach (var old in Of(target, Old).ToList())
        {
            if (!File.Exists(target) && !Directory.Exists(target))
                scope.Warn(WarningKind.OldOutputLeft, $"{target}: {old} may be the previous output, which a killed run had moved " +
                    "aside; it is left as it is (rename it to the target if it is yours)");
            else Delete(old);
        }
        var partials = Of(target, Partial).ToList();
        foreach (var p in partials) Delete(p);
        if (partials.Count > 0)
            scope.Warn(WarningKind.RemovedPartials, $"{target}: removed {partials.Count} unfinished output(s) left by a run that was " +
                $"killed");
    }

    /// <summary>Removes a leftover: a link as a link (never what it points to), a folder with what is in it.</summary>
    private static void Delete(string path)
    {
        var id = OperatingSystem.IsLinux() ? Native.Identify(path, followLinks: false) : null;
        if (id is { IsSymlink: true } || id is { IsRegular: true }) File.Delete(path);
        else if (id is { IsFolder: true } || id == null && Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (id == null) File.Delete(path);
        // a device, pipe or socket under our hidden name is not ours to remove: left alone
    }
}
