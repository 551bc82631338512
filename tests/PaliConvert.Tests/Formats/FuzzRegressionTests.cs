namespace PaliConvert.Tests.Formats;

/// <summary>
/// Inputs afl++ found crashing or hanging (bench/fuzz.sh keeps them in fuzz-regressions/TARGET/), replayed through the
/// same reader: each must now read or be refused with BadInputException naming the file.
/// </summary>
public class FuzzRegressionTests
{
    private static string Kept => Path.Combine(TestPaths.Root, "tests", "PaliConvert.Tests", "Formats", "fuzz-regressions");

    public static TheoryData<string> Targets() => new(Readers.Targets);

    [Theory, MemberData(nameof(Targets))]
    public async Task KeptFindingsAreRefusedCleanly(string target)
    {
        string kept = Path.Combine(Kept, target);
        if (!Directory.Exists(kept)) return; // no finding kept for this target
        using var dir = new TempDir();
        string file = Path.Combine(Readers.Folder(target, dir), Readers.FileName(target));
        foreach (var finding in Directory.GetFiles(kept))
        {
            File.Copy(finding, file, overwrite: true);
            var run = Task.Run(() => Readers.Read(target, file));
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10))) == run, $"{finding}: no answer in 10 s");
            if (run.Exception?.InnerException is { } e)
                Assert.True(e is BadInputException && e.Message.Contains(file), $"{finding}: {e}");
        }
    }
}
