using PaliConvert.IO;
using PaliConvert.Validation;

namespace PaliConvert.Pipeline;

/// <summary>Where verify's reports go; existing files are replaced only with <paramref name="Force"/>.</summary>
public sealed record ReportPaths(string? Json, string? JUnit, string? Parquet, bool Force = false);

/// <summary>
/// verify with its reports: claimed before the models run or the target is made (a refusal costs nothing), written
/// once it is done.
/// </summary>
public static class VerifyReports
{
    public static VerifyReport Run(VerifyOptions o, ReportPaths paths, IProgress<(string, double)>? progress = null,
        RunScope? scope = null, Func<string>? makeTarget = null)
    {
        scope ??= new RunScope();
        string[] inputs = [o.Source, o.Target, .. o.Inputs != null ? new[] { o.Inputs } : []];
        var claimed = new AtomicOutput?[3];
        try
        {
            string?[] wanted = [paths.Json, paths.JUnit, paths.Parquet];
            for (int i = 0; i < 3; i++) claimed[i] = wanted[i] is { } p ? AtomicOutput.ForFile(scope, p, paths.Force, inputs) : null;
            var report = Verify.Run(o, progress, scope, makeTarget);
            Write(claimed[0], s => { using var w = new StreamWriter(s); w.Write(report.ToJson()); });
            Write(claimed[1], s => { using var w = new StreamWriter(s); w.Write(report.ToJUnit()); });
            Write(claimed[2], s => report.WriteParquet(s).GetAwaiter().GetResult());
            return report;
        }
        finally
        {
            foreach (var c in claimed) c?.Dispose();
        }
    }

    private static void Write(AtomicOutput? output, Action<Stream> write)
    {
        if (output == null) return;
        output.Writing(() =>
        {
            using var fs = new FileStream(output.TempPath, FileMode.CreateNew, FileAccess.Write);
            write(fs);
        });
        output.Commit();
    }
}
