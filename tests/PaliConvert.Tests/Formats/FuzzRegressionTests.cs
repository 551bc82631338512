namespace PaliConvert.Tests.Formats;

/// <summary>
/// Inputs that crashed or hung a reader once (afl++ findings that bench/fuzz.sh keeps, and hostile cases found by
/// hand), kept in fuzz-regressions/TARGET/ and replayed through the same reader: each must now read or be refused
/// with BadInputException naming the file, within 10 s. Every target keeps at least one, so the replay always runs.
/// </summary>
public class FuzzRegressionTests
{
    private static string Kept => Path.Combine(TestPaths.Root, "tests", "PaliConvert.Tests", "Formats", "fuzz-regressions");

    public static TheoryData<string, string> Findings()
    {
        var d = new TheoryData<string, string>();
        foreach (var target in Readers.Targets)
            foreach (var f in Directory.GetFiles(Path.Combine(Kept, target)).Order()) d.Add(target, Path.GetFileName(f));
        return d;
    }

    [Fact]
    public void EveryTargetKeepsFindings() =>
        Assert.All(Readers.Targets, t => Assert.NotEmpty(Directory.GetFiles(Path.Combine(Kept, t))));

    [Theory, MemberData(nameof(Findings))]
    public async Task KeptFindingsAreRefusedCleanly(string target, string finding)
    {
        using var dir = new TempDir();
        string file = Path.Combine(Readers.Folder(target, dir), Readers.FileName(target));
        File.Copy(Path.Combine(Kept, target, finding), file, overwrite: true);
        var run = Task.Run(() => Readers.Read(target, file));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) == run, $"{finding}: no answer in 10 s");
        var e = run.Exception?.InnerException;
        string named = target == "adapter" ? Path.GetDirectoryName(file)! : file; // an adapter is its folder
        Assert.True(e is null || e is BadInputException b && b.Message.Contains(named), $"{finding}: {e}");
    }
}
