using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record Hf2JaxOptions(
    string Input, string Output, string MappingsFolder, OutputDType DType = OutputDType.Keep, string Prefix = "", bool Force = false)
{
    /// <summary>A PEFT adapter folder merged into the input as it is written.</summary>
    public string? Adapter { get; init; }
}

/// <summary>Hugging Face folder -> big_vision .npz: the family's rules run backwards, streamed into a stored zip.</summary>
public static class Hf2Jax
{
    /// <summary>The longest --prefix: a member's name (prefix and tensor name) must fit a zip record's 16-bit length.</summary>
    public const int MaxPrefixBytes = 4096;

    public static string Run(Hf2JaxOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        if (System.Text.Encoding.UTF8.GetByteCount(o.Prefix) > MaxPrefixBytes || o.Prefix.Any(char.IsControl))
            throw new UsageException("prefix", $"the member name prefix must be at most {MaxPrefixBytes} bytes of printable text");
        if (File.Exists(o.Input) && !o.Input.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new BadInputException(o.Input, $"{o.Input} is not a Hugging Face folder: hf2jax takes a folder with config.json and " +
                $"safetensors (for a big_vision .npz, use jax2hf)");
        using var ck = KeySpelling.OpenHf(o.Input);
        if (ck.Folder == null || !File.Exists(Path.Combine(ck.Folder, HfConfigFile.FileName)))
            throw new BadInputException(o.Input,
                $"{o.Input}: config.json is needed beside the weights (it gives head_dim and image_token_index)");
        var arch = ArchDetector.Detect(ck, scope: scope);
        var views = ck.Tensors.ToDictionary(t => t.Name, TensorView.Of, StringComparer.Ordinal);
        return Write(o, ck, arch, views, ck.Folder, scope, progress);
    }

    /// <summary>
    /// Hugging Face tensors (views: a folder's, or an .npz's through the rules) written as big_vision's, the adapter
    /// of <paramref name="o"/> merged in as they stream.
    /// </summary>
    public static string Write(Hf2JaxOptions o, Checkpoint ck, PaliGemmaArch arch, Dictionary<string, TensorView> views, string? folder,
        RunScope scope, IProgress<(string, double)>? progress)
    {
        long rows = arch.Decoder.Vocab;
        // rows from image_token_index on were added for HF: big_vision's vocabulary ends there
        var quantities = Quantities.Of(arch, Math.Min(arch.ImageTokenIndex, rows), rows);
        using var adapter = o.Adapter != null ? Adapters.LoraAdapter.Open(o.Adapter) : null;
        var bound = adapter?.Bind(views);
        var merged = bound?.Apply(views) ?? views;
        var (_, plan) = RuleSet.Load(o.MappingsFolder).Apply(arch.Family, f => RuleInverse.Fit(f, ck.Path, merged, f.Symbols(quantities)));

        using var output = AtomicOutput.ForFile(scope, o.Output, o.Force, [o.Input, .. o.Adapter is { } ad ? [ad] : Array.Empty<string>()]);
        using var tokenizer = TokenizerBeside(scope, folder, output.Target, o.Force);
        string fingerprint = Fingerprint.Of(ck);
        string comment = ModelFacts.SourceComment(bound?.Fingerprint(fingerprint) ?? fingerprint, o.Input);
        output.Writing(() => WriteNpz(o, plan, output.TempPath, comment, progress));
        output.Commit();
        tokenizer?.Commit();
        return output.Target;
    }

    private static void WriteNpz(Hf2JaxOptions o, List<InverseTensor> plan, string path, string comment,
        IProgress<(string, double)>? progress)
    {
        DType TypeOf(InverseTensor t) => o.DType.Fixed() ?? Widest(t.Slices.Select(s => s.Source.DType));
        using var streamer = new WeightStreamer(plan.SelectMany(t => t.Slices.Select(s => (t.Name,
            (IWeightData)new ViewData(s, TypeOf(t))))).ToList(), progress);
        using (var npz = new NpzWriter(path, o.Prefix) { Comment = comment })
        {
            foreach (var t in plan)
            {
                npz.BeginTensor(t.Name, TypeOf(t), t.Shape);
                var stream = npz.TensorStream(); // the zip writer writes behind
                foreach (var _ in t.Slices) streamer.WriteNext(stream);
                npz.EndTensor();
            }
            npz.Finish();
        }
    }

    /// <summary>
    /// The folder's SentencePiece model, which big_vision loads beside the checkpoint (OUT.npz -> OUT.tokenizer.model),
    /// claimed before the checkpoint is written so that an existing one stops the run before any work.
    /// </summary>
    private static AtomicOutput? TokenizerBeside(RunScope scope, string? folder, string npz, bool force)
    {
        string? source = folder == null ? null : Path.Combine(folder, ProcessorFiles.TokenizerModel);
        if (source == null || !File.Exists(source)) return null;
        var copy = AtomicOutput.ForFile(scope, Path.ChangeExtension(npz, ".tokenizer.model"), force, folder!);
        try { copy.Writing(() => File.WriteAllBytes(copy.TempPath, ProcessorFiles.Checked(source).ToArray())); }
        catch
        {
            copy.Dispose();
            throw;
        }
        return copy;
    }

    private static DType Widest(IEnumerable<DType> dtypes)
    {
        var set = dtypes.Distinct().ToList();
        return set.Count == 1 ? set[0] : set.OrderByDescending(d => d.Size()).First();
    }
}
