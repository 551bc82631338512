using System.Collections.Concurrent;
using PaliConvert.Errors;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Pipeline;

/// <summary>verify's passes on their own thread: the source's while the target is made, the target's beside the proof.</summary>
public class VerifyPassesTests
{
    private static string Mappings => Path.Combine(TestPaths.Root, "mappings");

    /// <summary>Records each report as it arrives, on whatever thread reports it.</summary>
    private sealed class Seen : IProgress<(string, double)>
    {
        public readonly ConcurrentQueue<string> What = new();
        public void Report((string, double) p) => What.Enqueue(p.Item1);
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void ConvertedWhileTheSourceRunsTheReportIsTheOneOfVerifyAfterwards(string model)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz"), hf = dir.File("hf");
        var seen = new Seen();
        bool sourceRanMeanwhile = false;
        var made = Verify.Run(new VerifyOptions(npz, hf, MappingsFolder: Mappings), seen, makeTarget: () =>
        {
            // the conversion waits until the source's pass reports: were the pass not beside it, it never would
            var until = DateTime.UtcNow.AddSeconds(60);
            while (!(sourceRanMeanwhile = seen.What.Any(w => w.StartsWith("source: "))) && DateTime.UtcNow < until) Thread.Sleep(5);
            Assert.DoesNotContain(seen.What, w => w.StartsWith("target: "));
            return Jax2Hf.Run(new Jax2HfOptions(npz, hf, Mappings));
        });
        Assert.True(sourceRanMeanwhile);
        var after = Verify.Run(new VerifyOptions(npz, hf, MappingsFolder: Mappings));
        Assert.True(made.Passed, made.ToText());
        Assert.Equal(after.Summary, made.Summary);
        Assert.Equal(after.Positions.Select(p => p.MaxAbsDiff), made.Positions.Select(p => p.MaxAbsDiff));
        Assert.Equal(after.Weights!.Checks.Count, made.Weights!.Checks.Count);
        Assert.Equal(after.Facts.Count, made.Facts.Count);
        Assert.Equal(Path.GetFullPath(hf), Path.GetFullPath(made.Target));
    }

    [Fact]
    public void AConversionThatFailsIsTheErrorReportedAndLeavesNoTarget()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz");
        var e = Assert.Throws<BadInputException>(() => Verify.Run(new VerifyOptions(npz, dir.File("hf"), MappingsFolder: Mappings),
            makeTarget: () => throw new BadInputException(npz, $"{npz}: tensor 'img/embedding/kernel' is truncated")));
        Assert.Contains("img/embedding/kernel", e.Message);
        Assert.False(Directory.Exists(dir.File("hf")));
    }

    [Fact]
    public void ATargetOfAnotherArchitectureMadeMeanwhileIsRefusedByName()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg1-tiny/params.f32.npz"), other = TestPaths.Golden("pg2-tiny/hf");
        var e = Assert.Throws<ModelMismatchException>(() => Verify.Run(new VerifyOptions(npz, other, MappingsFolder: Mappings),
            makeTarget: () => other));
        Assert.Contains(other, e.Message);
        Assert.Contains("architecture", e.Message);
    }
}
