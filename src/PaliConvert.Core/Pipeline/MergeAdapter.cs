using PaliConvert.Formats.Safetensors;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record MergeAdapterOptions(string Base, string Adapter, string Output, string MappingsFolder,
    OutputDType DType = OutputDType.Keep, long MaxShardBytes = 2_000_000_000, bool Force = false, StatedFacts? Stated = null);

/// <summary>
/// BASE (HF folder or big_vision .npz) + a PEFT LoRA adapter -> a merged HF folder, or a merged .npz when OUT ends so:
/// W + scale B A (DoRA renormalised, modules_to_save replacing) formed block by block inside the gather that writes
/// each tensor, so memory is that of a plain conversion.
/// </summary>
public static class MergeAdapter
{
    public static string Run(MergeAdapterOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        bool toNpz = o.Output.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);
        bool fromNpz = !Directory.Exists(o.Base) && !o.Base.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        if (fromNpz && !toNpz)
            return Jax2Hf.Run(new Jax2HfOptions(o.Base, o.Output, o.MappingsFolder, o.DType, o.MaxShardBytes, Force: o.Force,
                Stated: o.Stated) { Adapter = o.Adapter }, progress, scope);
        if (!fromNpz && toNpz)
            return Hf2Jax.Run(new Hf2JaxOptions(o.Base, o.Output, o.MappingsFolder, o.DType, Force: o.Force) { Adapter = o.Adapter },
                progress, scope);
        using var ck = KeySpelling.Open(o.Base);
        var arch = ArchDetector.Detect(ck, o.Stated, scope);
        if (toNpz) // big_vision in and out: through HF names (unpadded), merged, and back by the rules
        {
            var views = HfViews.FromBigVision(ck, arch, RuleSet.Load(o.MappingsFolder), arch.Decoder.Vocab).views;
            return Hf2Jax.Write(new Hf2JaxOptions(o.Base, o.Output, o.MappingsFolder, o.DType, Force: o.Force) { Adapter = o.Adapter },
                ck, arch, views.ToDictionary(v => v.Name, StringComparer.Ordinal), null, scope, progress);
        }
        return HfToHf(o, ck, scope, progress);
    }

    private static string HfToHf(MergeAdapterOptions o, Checkpoint ck, RunScope scope, IProgress<(string, double)>? progress)
    {
        if (o.Output.TrimEnd('/').EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new UsageException("out", $"{o.Output}: merge-adapter writes a Hugging Face folder (or an .npz); name the folder");
        using var adapter = Adapters.LoraAdapter.Open(o.Adapter);
        var bound = adapter.Bind(ck.Tensors.ToDictionary(t => t.Name, TensorView.Of, StringComparer.Ordinal));
        var views = ck.Tensors.Select(t => bound.View(t.Name, TensorView.Of(t))).ToList();
        var fixedType = o.DType.Fixed();
        var shards = ShardedWriter.Plan(views.Select(v => new ShardedWriter.Planned(v, fixedType ?? v.Source.DType)).ToList(),
            o.MaxShardBytes);
        string fingerprint = bound.Fingerprint(Fingerprint.Of(ck));
        using var output = AtomicOutput.ForFolder(scope, o.Output, o.Force, o.Base, o.Adapter);
        output.Writing(() =>
        {
            ShardedWriter.Write(output.TempPath, shards, progress, ModelFacts.Source(fingerprint, o.Base).ToDictionary());
            foreach (var name in (string[])[HfConfigFile.FileName, "generation_config.json"])
                if (File.Exists(Path.Combine(ck.Folder!, name)))
                    File.WriteAllBytes(output.Inside(name), Formats.JsonText.Checked(Path.Combine(ck.Folder!, name)));
            ProcessorFiles.CopyFrom(ck.Folder, output.TempPath);
        });
        output.Commit();
        return output.Target;
    }
}
