using System.Diagnostics;

namespace PaliConvert.Tests;

/// <summary>Runs the real paliconvert binary: arguments in, exit code and output out.</summary>
public static class CliRunner
{
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Starts paliconvert without waiting (output discarded unless redirected by the caller).</summary>
    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "paliconvert.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }
}
