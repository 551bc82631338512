using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record Jax2HfOptions(
    string Input, string Output, string MappingsFolder, OutputDType DType = OutputDType.Auto, long MaxShardBytes = 2_000_000_000,
    bool PadVocab = true, bool Force = false, StatedFacts? Stated = null,
    string? Tokenizer = null)
{
    /// <summary>A PEFT adapter folder merged into the input as it is written.</summary>
    public string? Adapter { get; init; }
}

/// <summary>big_vision .npz -> Hugging Face folder: detect, apply the family's rules, write shards and config.</summary>
public static class Jax2Hf
{
    public static string Run(Jax2HfOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        if (o.Output.TrimEnd('/').EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new UsageException("out", $"{o.Output}: jax2hf writes a Hugging Face folder (shards, index, config.json), not one " +
                ".safetensors file; name the folder");
        if (Directory.Exists(o.Input))
            throw new BadInputException(o.Input, $"{o.Input} is a folder: jax2hf takes a big_vision .npz (for a Hugging Face folder, use " +
                $"hf2jax)");
        using var ck = NpzCheckpoint.Open(o.Input);
        var arch = ArchDetector.Detect(ck, o.Stated, scope);
        string fingerprint = Fingerprint.Of(ck);
        var (views, padded) = HfViews.FromBigVision(ck, arch, RuleSet.Load(o.MappingsFolder), o.PadVocab ? null : arch.Decoder.Vocab);
        using var adapter = o.Adapter != null ? Adapters.LoraAdapter.Open(o.Adapter) : null;
        if (adapter?.Bind(views.ToDictionary(v => v.Name)) is { } bound)
        {
            views = views.Select(v => bound.View(v.Name, v)).ToList();
            fingerprint = bound.Fingerprint(fingerprint);
        }

        DType? fixedType = o.DType switch
        {
            OutputDType.Keep => null,
            OutputDType.Auto => ck.Tensors.Select(t => t.DType).Where(d => d.IsFloat())
                .OrderByDescending(d => d.Size()).ThenBy(d => d == DType.BF16 ? 1 : 0).First(), // f16 over bf16: exact in f32 either way
            _ => o.DType.Fixed(),
        };
        var planned = views.Select(v => new ShardedWriter.Planned(v, fixedType ?? v.Source.DType)).ToList();
        var shards = ShardedWriter.Plan(planned, o.MaxShardBytes);
        var written = planned.Select(p => p.DType).Distinct().ToList();
        string dtypeName = written.Count == 1 ? TorchName(written[0]) : "float32";

        var tokenizer = o.Tokenizer != null ? ProcessorFiles.Prepare(o.Tokenizer, arch) : null; // checked before the work
        string[] inputs = o.Adapter is { } ad ? [o.Input, ad] : [o.Input];
        using var output = AtomicOutput.ForFolder(scope, o.Output, o.Force, inputs);
        output.Writing(() =>
        {
            ShardedWriter.Write(output.TempPath, shards, progress, ModelFacts.Source(fingerprint, o.Input).ToDictionary());
            File.WriteAllText(output.Inside("config.json"), HfConfigWriter.Build(arch, padded, dtypeName));
            File.WriteAllText(output.Inside("generation_config.json"), HfConfigWriter.GenerationConfig);
            if (tokenizer != null) tokenizer(output.TempPath);
        });
        output.Commit();
        return output.Target;
    }

    private static string TorchName(DType d) => d switch
    {
        DType.F32 => "float32",
        DType.F16 => "float16",
        DType.BF16 => "bfloat16",
        DType.F64 => "float64",
        _ => throw new NotSupportedException($"cannot write {d.Label()} weights"),
    };
}
