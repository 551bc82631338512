using System.Diagnostics;
using System.Security.Cryptography;

namespace PaliConvert.Tests.IO;

/// <summary>
/// kill -9 at many points of each converter, on a fresh target and with --force over an existing one: afterwards the
/// target holds the complete old output or the complete new one (or, fresh, nothing), never a mix or a missing target;
/// the next run leaves no partials behind.
/// </summary>
public class InterruptionTests
{
    /// <summary>Kill points (ms after start): start-up, reading, writing, the final rename (where a run ends depends on load).</summary>
    private static readonly int[] Delays = [30, 60, 100, 150, 220, 300, 400, 550, 800, 1200, 2000];

    public static TheoryData<string, bool> Cases() => new()
    {
        { "jax2hf", false }, { "jax2hf", true }, { "hf2jax", false }, { "hf2jax", true }, { "export-onnx", false }, { "export-onnx", true },
    };

    private static string[] Args(string command, string target, bool f16) => command switch
    {
        "jax2hf" => ["jax2hf", TestPaths.Golden("pg2-tiny/params.f32.npz"), target, "--force", .. f16 ? new[] { "--dtype", "f16" } : []],
        "hf2jax" => ["hf2jax", TestPaths.Golden("pg2-tiny/hf"), target, "--force", .. f16 ? new[] { "--dtype", "f16" } : []],
        _ => ["export-onnx", TestPaths.Golden("pg2-tiny/params.f32.npz"), target, "--force", .. f16 ? new[] { "--dtype", "f16" } : []],
    };

    /// <summary>Every file under a path (or the file itself) with its SHA-256; null when the path does not exist.</summary>
    private static string? Snapshot(string path)
    {
        if (File.Exists(path)) return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        if (!Directory.Exists(path)) return null;
        return string.Join("\n", Directory.GetFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetRelativePath(path, f)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}"));
    }

    private static void Complete(string[] args)
    {
        var (code, _, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
    }

    private static void Restore(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, true);
        else if (File.Exists(to)) File.Delete(to);
        if (!Path.Exists(from)) return;
        if (File.Exists(from)) File.Copy(from, to);
        else
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void AKilledRunLeavesTheOldOutputOrTheNewOne(string command, bool overExisting)
    {
        using var dir = new TempDir();
        string ext = command == "hf2jax" ? ".npz" : "";
        string oldCopy = dir.File("old" + ext), newCopy = dir.File("new" + ext), target = dir.File("out/target" + ext);
        Complete(Args(command, oldCopy, f16: true));
        Complete(Args(command, newCopy, f16: false));
        string? old = Snapshot(oldCopy), fresh = Snapshot(newCopy);
        Assert.NotEqual(old, fresh);
        Directory.CreateDirectory(dir.File("out"));
        foreach (int delay in Delays)
        {
            if (overExisting) Restore(oldCopy, target);
            else Restore(dir.File("none"), target);
            using var p = CliRunner.Start(Args(command, target, f16: false));
            Thread.Sleep(delay);
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            string? now = Snapshot(target);
            string state = now == fresh ? "new" : now == old && overExisting ? "old" : now == null && !overExisting ? "none" : "damaged";
            Assert.True(state != "damaged", $"killed at {delay} ms: the target holds neither the old nor the new output");
        }
        Complete(Args(command, target, f16: false));
        Assert.Equal(fresh, Snapshot(target));
        Assert.Equal(["target" + ext], Directory.GetFileSystemEntries(dir.File("out")).Select(Path.GetFileName));
    }

    [Fact]
    public void SigtermCleansUpLikeCtrlC()
    {
        using var dir = new TempDir();
        string target = dir.File("out/hf");
        for (int delay = 150; delay <= 450; delay += 100)
        {
            using var p = CliRunner.Start("jax2hf", TestPaths.Golden("pg2-tiny/params.f32.npz"), target, "--force");
            Thread.Sleep(delay);
            if (!p.HasExited) Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            p.WaitForExit();
            if (Directory.Exists(dir.File("out")))
                Assert.All(Directory.GetFileSystemEntries(dir.File("out")), e => Assert.DoesNotContain(".partial-", e));
        }
    }
}
