using PaliConvert.Export;
using PaliConvert.Formats.Npz;
using PaliConvert.Inference;
using PaliConvert.IO;
using PaliConvert.Models;
using PaliConvert.Validation;

namespace PaliConvert.Pipeline;

/// <summary>What logits runs: a model, its inputs (with the mask to use, or every text token as prefix), the output .npy.</summary>
public sealed record LogitsOptions(string Model, string Inputs, string? MaskKey, string Output, bool Force = false,
    StatedFacts? Stated = null, OnnxDType? DType = null)
{
    /// <summary>A PEFT adapter run with the model (and the rules that name its tensors).</summary>
    public AdapterInput? Adapter { get; init; }
}

/// <summary>Runs a model on an inputs file and writes its text logits [B, T, V] as float32 .npy.</summary>
public static class Logits
{
    public static string Run(LogitsOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        var input = InputsFile.Load(o.Inputs, o.MaskKey);
        using var claimed = AtomicOutput.ForFile(scope, o.Output, o.Force,
            [o.Model, o.Inputs, .. o.Adapter is { } ad ? [ad.Folder] : Array.Empty<string>()]); // before the work: a refusal is free
        var (logits, vocab) = ModelLogits.Run(o.Model, input, progress, o.Stated, o.DType, scope, o.Adapter);
        int bad = Array.FindIndex(logits, x => !float.IsFinite(x));
        if (bad >= 0)
        {
            int t = input.TextLength;
            throw new BadInputException(o.Model, $"{o.Model}: the logits hold {logits[bad]} (batch {bad / vocab / t}, text position " +
                $"{bad / vocab % t}, token {bad % vocab}): the weights or the stated facts overflow float32; nothing was written");
        }
        NpyFile.WriteF32(claimed, [input.Batch, input.TextLength, vocab], logits);
        return claimed.Target;
    }
}
