namespace PaliConvert.Mapping;

/// <summary>
/// The rule files of a mappings folder, found by their own `family`: a new variant is a new YAML file. For a
/// checkpoint, exactly one file of its family must map every tensor (a variant's file and the base file never both do).
/// </summary>
public sealed class RuleSet
{
    public IReadOnlyList<RuleFile> Files { get; }
    public string Folder { get; }

    private RuleSet(string folder, List<RuleFile> files) { Folder = folder; Files = files; }

    public static RuleSet Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such mappings folder");
        var files = Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal).Select(RuleFile.Load).ToList();
        var twice = files.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice != null)
            throw new InvalidDataException($"{folder}: rule files {string.Join(" and ", twice.Select(f => f.Path))} are both named " +
                $"'{twice.Key}'");
        return new RuleSet(folder, files.Where(f => f.Family > 0).ToList());
    }

    /// <summary>The one rule file of the family for which <paramref name="attempt"/> succeeds, and its result.</summary>
    public (RuleFile file, T result) Apply<T>(int family, Func<RuleFile, T> attempt)
    {
        var candidates = Files.Where(f => f.Family == family).ToList();
        if (candidates.Count == 0) throw new InvalidDataException($"{Folder}: no rule file declares family {family}");
        if (candidates.Count == 1) return (candidates[0], attempt(candidates[0]));
        var ok = new List<(RuleFile, T)>();
        var failed = new List<string>();
        foreach (var c in candidates)
        {
            try { ok.Add((c, attempt(c))); }
            catch (InvalidDataException e) { failed.Add($"{c.Name}: {e.Message}"); }
        }
        return ok.Count switch
        {
            1 => ok[0],
            0 => throw new InvalidDataException($"no rule file of family {family} in {Folder} maps this checkpoint:\n  " +
                $"{string.Join("\n  ", failed)}"),
            _ => throw new InvalidDataException($"rule files {string.Join(" and ", ok.Select(x => x.Item1.Name))} in {Folder} both map " +
                $"this checkpoint; make one stricter"),
        };
    }
}
