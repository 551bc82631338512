using System.Diagnostics;

namespace PaliConvert.Tests;

/// <summary>Runs a script of tests/js (transformers.js on onnxruntime-node, installed by .ci/run) and asserts it succeeds.</summary>
public static class NodeScript
{
    public static string Folder => Path.Combine(TestPaths.Root, "tests", "js");

    public static void Run(string script, params string[] args)
    {
        Assert.True(Directory.Exists(Path.Combine(Folder, "node_modules")),
            "tests/js/node_modules is missing: run 'npm ci --prefix tests/js'");
        var psi = new ProcessStartInfo("node") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Folder };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), $"{script} did not finish");
        _ = stdout.Result;
        Assert.True(p.ExitCode == 0, $"{script}: {stderr}");
    }
}
