using PaliConvert.Formats;
using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record ExportOnnxOptions(
    string Source, string Output, string MappingsFolder, OnnxWeights? Weights = null, bool Force = false,
    OnnxLayoutKind Layout = OnnxLayoutKind.Single, StatedFacts? Stated = null, string? Tokenizer = null)
{
    /// <summary>A PEFT adapter folder merged into the source as it is exported.</summary>
    public string? Adapter { get; init; }
}

/// <summary>
/// A checkpoint of either format -> model.onnx + model.onnx.data, or the split layout's hub folder, which holds one
/// variant per dtype (an export of another dtype into it adds its graphs). The weights are the Hugging Face tensors: an
/// HF folder's as they are, an .npz's through the jax2hf rules (as views, nothing materialised), so an export from
/// either holds the same bytes; quantized ones are quantized as they stream.
/// </summary>
public static class ExportOnnx
{
    public static string Run(ExportOnnxOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        var weights = (o.Weights ?? OnnxWeights.Fp32).Checked();
        using var ck = KeySpelling.Open(o.Source);
        var (arch, views) = HfViews(ck, o.MappingsFolder, o.Stated, scope);
        string doc = $"{arch.Name} at {arch.Vision.ImageSize} px ({weights.DType.Name()}), converted by paliconvert from " +
            Path.GetFileName(o.Source.TrimEnd('/'));
        string fingerprint = Fingerprint.Of(ck);
        using var adapter = o.Adapter != null ? Adapters.LoraAdapter.Open(o.Adapter) : null;
        if (adapter?.Bind(views) is { } bound)
        {
            views = bound.Apply(views);
            fingerprint = bound.Fingerprint(fingerprint);
        }
        bool addVariant = o.Layout == OnnxLayoutKind.Split
            && HubFolder.AddsVariant(o.Output, arch, weights.DType, o.Force, fingerprint, o.Source, scope);
        var metadata = ModelFacts.Metadata(arch).Concat(ModelFacts.Source(fingerprint, o.Source)).ToList();
        var tokenizer = o.Tokenizer != null ? ProcessorFiles.Prepare(o.Tokenizer, arch) : null; // checked before the work
        string[] inputs = o.Adapter is { } ad ? [o.Source, ad] : [o.Source];
        using var output = AtomicOutput.ForFolder(scope, o.Output, o.Force || addVariant, inputs);
        output.Writing(() =>
        {
            var graphs = o.Layout == OnnxLayoutKind.Single
                ? [(OnnxLayout.ModelFile, OnnxLayout.Single(arch, views, weights), OnnxLayout.ModelFile + ".data")]
                : OnnxLayout.Split(arch, views, weights).Select(x => (x.file, x.graph, x.file + "_data")).ToList();
            foreach (var (file, g, data) in graphs)
            {
                // each graph beside its data file, which it names relative to itself
                string folder = Path.Combine(output.TempPath, Path.GetDirectoryName(file)!);
                Directory.CreateDirectory(folder);
                OnnxWriter.Write(folder, Path.GetFileName(file), OnnxWriter.Model(g, doc, metadata), g, progress,
                    Path.GetFileName(data));
                var check = OnnxChecker.Check(Path.Combine(output.TempPath, file));
                if (!check.Ok)
                    throw new InvalidOperationException($"the exported {file} fails its structural check: " +
                        $"{string.Join("; ", check.Problems)}");
            }
            if (tokenizer != null) tokenizer(output.TempPath);
            else ProcessorFiles.CopyFrom(ck.Folder, output.TempPath); // an HF folder's tokenizer and processor files travel along
            if (addVariant) output.KeepFromTarget(HubFolder.Kept);
            if (o.Layout == OnnxLayoutKind.Split) HubFolder.WriteConfig(output, arch, views, addVariant ? output.Target : null);
        });
        output.Commit();
        return output.Target;
    }

    /// <summary>The checkpoint's tensors under Hugging Face names and layouts, as views.</summary>
    public static (PaliGemmaArch arch, Dictionary<string, TensorView> views) HfViews(Checkpoint ck, string mappings,
        StatedFacts? stated = null, RunScope? scope = null)
    {
        var arch = ArchDetector.Detect(ck, stated, scope);
        return (arch, Mapping.HfViews.Of(ck, arch, RuleSet.Load(mappings)));
    }
}
