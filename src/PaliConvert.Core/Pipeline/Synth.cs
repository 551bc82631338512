using PaliConvert.IO;
using PaliConvert.Synth;

namespace PaliConvert.Pipeline;

/// <summary>A random full-size big_vision checkpoint of a release variant, written as one complete output.</summary>
public static class SynthCheckpoint
{
    public static string Run(string output, string variant, SynthDType dtype, ulong seed, bool force,
        IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        using var file = AtomicOutput.ForFile(scope ?? new RunScope(), output, force);
        file.Writing(() => SynthWriter.Write(variant, dtype, seed, file.TempPath, progress));
        file.Commit();
        return file.Target;
    }
}
