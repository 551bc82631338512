using System.Text.RegularExpressions;

namespace PaliConvert.Tests.Design;

/// <summary>The README's design, kept true: each folder of PaliConvert.Core uses only folders before it.</summary>
public partial class DependencyTests
{
    /// <summary>The order data flows in; a folder may use folders of a lower rank only (equal ranks are independent).</summary>
    private static readonly Dictionary<string, int> Rank = new()
    {
        ["Errors"] = -1, ["Tensors"] = 0, ["IO"] = 1, ["Formats"] = 2, ["Models"] = 3, ["Mapping"] = 4, ["Adapters"] = 4,
        ["Analysis"] = 5, ["Synth"] = 5, ["Inference"] = 6, ["Export"] = 6, ["Validation"] = 7, ["Pipeline"] = 8,
    };

    [GeneratedRegex(
        @"(?<![\w.])(?:PaliConvert\.)?(Errors|Tensors|IO|Formats|Models|Mapping|Adapters|Analysis|Synth|Inference|Export|Validation|" +
        @"Pipeline)" +
        @"\.[A-Z]")]
    private static partial Regex Reference();

    private static string Core => Path.Combine(TestPaths.Root, "src", "PaliConvert.Core");

    private static IEnumerable<(string folder, string file, int line, string used)> References()
    {
        foreach (var file in Directory.EnumerateFiles(Core, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(Core, file);
            if (rel.StartsWith("obj") || rel.StartsWith("bin")) continue;
            string folder = rel.Split(Path.DirectorySeparatorChar)[0];
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].TrimStart();
                if (code.StartsWith("//") || code.StartsWith("///")) continue;
                foreach (Match m in Reference().Matches(code.StartsWith("using ") ? code.Replace(";", ".X") : code))
                    yield return (folder, rel, i + 1, m.Groups[1].Value);
            }
        }
    }

    [Fact]
    public void EveryFolderHasARank()
    {
        var folders = Directory.GetDirectories(Core).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
        Assert.DoesNotContain(folders, f => !Rank.ContainsKey(f!));
    }

    [Fact]
    public void NoFolderUsesALaterOne()
    {
        var wrong = References().Where(r => r.used != r.folder && Rank[r.used] >= Rank[r.folder])
            .Select(r => $"{r.file}:{r.line} ({r.folder}) uses {r.used}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void TheCheckSeesAViolation()
    {
        Assert.Matches(Reference(), "var x = Pipeline.ExportOnnx.Run(o);");
        Assert.Matches(Reference(), "using PaliConvert.Validation.X");
        Assert.DoesNotMatch(Reference(), "ck.Tensors.Where(t => t.Name)");
    }

    [Fact]
    public void CoreNamesNoCommandLineFlag()
    {
        var flags = Directory.EnumerateFiles(Core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadAllLines(f).Select((l, i) => (f, i, l)))
            .Where(x => Regex.IsMatch(x.l, "\"[^\"]*--[a-z]") && !x.l.TrimStart().StartsWith("//"))
            .Select(x => $"{Path.GetRelativePath(Core, x.f)}:{x.i + 1}").ToList();
        Assert.True(flags.Count == 0, string.Join("\n", flags));
    }
}

/// <summary>Core keeps no process-wide state: a run's warnings, outputs and buffers belong to the run (IO.RunScope).</summary>
public class StateTests
{
    [Fact]
    public void CoreHasNoStaticMutableField()
    {
        var flags = System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public
            | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly;
        var bad = typeof(PaliConvert.IO.RunScope).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("PaliConvert", StringComparison.Ordinal) == true && !t.Namespace.Contains(".Proto")
                && !t.Name.StartsWith('<') && t.GetCustomAttributes(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute),
                    false).Length == 0)
            .SelectMany(t => t.GetFields(flags).Select(f => (t, f)))
            .Where(x => !x.f.Name.Contains('<') && !x.f.IsLiteral && !x.f.IsDefined(typeof(ThreadStaticAttribute), false) // scratch
                && (!x.f.IsInitOnly
                || x.f.FieldType.Namespace == "System.Collections.Concurrent" || typeof(Delegate).IsAssignableFrom(x.f.FieldType)))
            .Select(x => $"{x.t.FullName}.{x.f.Name}").ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }
}
