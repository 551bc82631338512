using System.Globalization;

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
            $".{Path.GetFileName(target)}.{kind}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    private static IEnumerable<string> Of(string target, string kind) =>
        Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{kind}-*");

    /// <summary>The process ids in the partial outputs' names: who is writing the target.</summary>
    public static List<int> Writers(string target) => Of(target, Partial)
        .Select(p => Path.GetFileName(p).Split('-')).Where(parts => parts.Length >= 3)
        .Select(parts => int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : -1)
        .Where(pid => pid > 0).Distinct().ToList();

    /// <summary>With the output's lock held: restores an old output a killed run had moved aside, and removes partials.</summary>
    public static void Clean(string target, RunScope scope)
    {
        foreach (var old in Of(target, Old).ToList())
        {
            if (!Directory.Exists(target) && !File.Exists(target))
            {
                Move(old, target);
                scope.Warn(WarningKind.RestoredOutput, $"{target}: restored the previous output, which a killed run had moved aside");
            }
            else Delete(old);
        }
        var partials = Of(target, Partial).ToList();
        foreach (var p in partials) Delete(p);
        if (partials.Count > 0)
            scope.Warn(WarningKind.RemovedPartials, $"{target}: removed {partials.Count} unfinished output(s) left by a run that was " +
                $"killed");
    }

    private static void Move(string from, string to)
    {
        if (Directory.Exists(from)) Directory.Move(from, to);
        else File.Move(from, to);
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }
}
