using System.Diagnostics;

namespace PaliConvert.Tests;

public static class TestPaths
{
    public static string Root { get; } = FindRoot();
    public static string Golden(string rel) => Path.Combine(Root, "golden", rel);
    public static string Mappings => Path.Combine(Root, "mappings");
    public static readonly string[] Cases = ["pg1-tiny", "pg2-tiny"];
    public static readonly string[] Flavours = ["f32", "mixed", "bf16", "prefixed"];

    private static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "PaliConvert.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("PaliConvert.sln not found above the test binaries");
    }

    /// <summary>Runs a Python script with numpy (the oracle). .ci/run installs python3-numpy.</summary>
    public static string Python(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(Root, "tests", "PaliConvert.Tests", "oracle", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"oracle {script} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("paliconvert-test-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
