using System.Text.RegularExpressions;

namespace PaliConvert.Tensors;

/// <summary>
/// A checkpoint stored as byte-split parts (`split -b 4G x.npz x.npz.part` makes x.npz.partaa, x.npz.partab, ...; Google
/// ships the 28B as NAME.npz.part*): named by the whole file's name (or any of its parts), read in place as one file.
/// </summary>
public static partial class SplitParts
{
    [GeneratedRegex(@"^(?<whole>.+\.npz)\.part[^/\\]*$", RegexOptions.IgnoreCase)]
    private static partial Regex PartName();

    /// <summary>The whole file's name for a part's name; any other path as it is.</summary>
    public static string Whole(string path) =>
        !File.Exists(path) || PartName().Match(path) is not { Success: true } m ? path : m.Groups["whole"].Value;

    /// <summary>The parts, in name order, of a file that does not exist whole; null when it is a file or has no parts.</summary>
    public static IReadOnlyList<string>? Of(string path)
    {
        path = Whole(path);
        if (File.Exists(path) || Directory.Exists(path)) return null;
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!, name = Path.GetFileName(path);
        if (!Directory.Exists(folder)) return null;
        var parts = Directory.EnumerateFiles(folder, name + ".part*").Order(StringComparer.Ordinal).ToList();
        return parts.Count > 0 ? parts : null;
    }
}
