using PaliConvert.Models;

namespace PaliConvert.Mapping;

/// <summary>
/// The rule files of a mappings folder, compiled once (a command loads its folder once and passes the result on) and
/// found by their own `family`: a new variant is a new YAML file. For a checkpoint, exactly one file of its family must
/// fit (a variant's file and the base file never both do).
/// </summary>
public sealed class RuleSet
{
    public IReadOnlyList<RuleFile> Files { get; }
    public string Folder { get; }

    private RuleSet(string folder, List<RuleFile> files) { Folder = folder; Files = files; }

    public static RuleSet Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new BadInputException(folder, $"{folder}: no such mappings folder");
        var files = Directory.EnumerateFiles(folder, "*.yaml").Order(StringComparer.Ordinal).Select(RuleFile.Load).ToList();
        var twice = files.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice != null)
            throw new RuleException(folder, $"{folder}: rule files {string.Join(" and ", twice.Select(f => f.Path))} are both named " +
                $"'{twice.Key}'");
        return new RuleSet(folder, files.Where(f => f.Family != null).ToList());
    }

    /// <summary>The family's file for naming (the first that declares it), for reports that need no fit.</summary>
    public RuleFile Family(GemmaFamily family) => Files.FirstOrDefault(f => f.Family == family)
        ?? throw new RuleException(Folder, $"{Folder}: no rule file declares family {(int)family}");

    /// <summary>The one rule file of the family that fits the checkpoint, by <paramref name="fit"/>, and its result.</summary>
    public (RuleFile file, T result) Apply<T>(GemmaFamily family, Func<RuleFile, RuleFit<T>> fit)
    {
        var candidates = Files.Where(f => f.Family == family).ToList();
        if (candidates.Count == 0) throw new RuleException(Folder, $"{Folder}: no rule file declares family {(int)family}");
        if (candidates.Count == 1) return (candidates[0], fit(candidates[0]).Checked());
        var fits = candidates.Select(fit).ToList();
        var ok = fits.Where(f => f.Fits).ToList();
        return ok.Count switch
        {
            1 => (ok[0].File, ok[0].Result),
            0 => throw new BadInputException(fits[0].Problems[0].File, $"no rule file of family {(int)family} in {Folder} maps this " +
                $"checkpoint:\n  {string.Join("\n  ", fits.Select(f => $"{f.File.Name}: {f.Problems[0].Message}"))}"),
            _ => throw new RuleException(Folder, $"rule files {string.Join(" and ", ok.Select(x => x.File.Name))} in {Folder} both " +
                $"map this checkpoint; make one stricter"),
        };
    }
}
