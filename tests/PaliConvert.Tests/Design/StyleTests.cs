namespace PaliConvert.Tests.Design;

/// <summary>The house style .editorconfig states, kept true: lines of at most 140 characters, files short enough to read.</summary>
public class StyleTests
{
    private static IEnumerable<string> Sources() =>
        new[] { "src", "tests", "bench" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(TestPaths.Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    [Fact]
    public void NoLineIsLongerThan140()
    {
        var longLines = Sources().SelectMany(f => File.ReadAllLines(f).Select((l, i) => (f, i, l.Length)))
            .Where(x => x.Length > 140).Select(x => $"{Path.GetRelativePath(TestPaths.Root, x.f)}:{x.i + 1} ({x.Length})").ToList();
        Assert.True(longLines.Count == 0, string.Join("\n", longLines));
    }

    [Fact]
    public void SourceFilesStayShort()
    {
        var longFiles = Sources().Where(f => f.Contains($"{Path.DirectorySeparatorChar}src{Path.DirectorySeparatorChar}"))
            .Select(f => (f, n: File.ReadAllLines(f).Length)).Where(x => x.n > 220)
            .Select(x => $"{Path.GetRelativePath(TestPaths.Root, x.f)} ({x.n} lines)").ToList();
        Assert.True(longFiles.Count == 0, string.Join("\n", longFiles));
    }
}
