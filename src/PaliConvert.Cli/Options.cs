using System.CommandLine;

namespace PaliConvert.Cli;

/// <summary>Byte sizes as users write them: 2GB, 500MB, 123456.</summary>
public static class Sizes
{
    public static long Parse(string s)
    {
        s = s.Trim().ToUpperInvariant();
        (string suffix, long mult)[] units = [("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1)];
        foreach (var (suffix, mult) in units)
            if (s.EndsWith(suffix) && long.TryParse(s[..^suffix.Length], out var n) && n > 0) return n * mult;
        return long.TryParse(s, out var b) && b > 0 ? b : throw new ArgumentException($"bad size '{s}' (e.g. 2GB, 500MB, 123456)");
    }
}

public static class MappingsFolder
{
    /// <summary>The --mappings option every converting command takes.</summary>
    public static Option<string> Option(string description) => new("--mappings") { Description = description, DefaultValueFactory = _ => Default() };

    /// <summary>mappings/ beside the tool (published with it), else the repository's, found upwards from here.</summary>
    public static string Default()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null)
        {
            var m = Path.Combine(d.FullName, "mappings");
            if (File.Exists(Path.Combine(m, "paligemma.yaml"))) return m;
            d = d.Parent;
        }
        return Path.Combine(AppContext.BaseDirectory, "mappings");
    }
}
