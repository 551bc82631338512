using PaliConvert.Formats;
using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record ExportOnnxOptions(
    string Source, string Output, string MappingsFolder, DType Storage = DType.F32, bool Force = false,
    OnnxLayoutKind Layout = OnnxLayoutKind.Single, StatedFacts? Stated = null, string? Tokenizer = null);

/// <summary>
/// A checkpoint of either format -> model.onnx + model.onnx.data. The weights are the Hugging Face tensors: an HF
/// folder's as they are, an .npz's through the jax2hf rules (as views, nothing materialised), so an export from
/// either holds the same bytes.
/// </summary>
public static class ExportOnnx
{
    public static string Run(ExportOnnxOptions o, IProgress<(string, double)>? progress = null)
    {
        var storage = o.Storage;
        if (storage is not (DType.F32 or DType.F16))
            throw new ArgumentException($"ONNX weights are stored as f32 or f16 (ONNX Runtime's CPU kernels have no bf16), not " +
                $"{storage.Label()}");
        using var ck = KeySpelling.Open(o.Source);
        var (arch, views) = HfViews(ck, o.MappingsFolder, o.Stated);
        string doc = $"{arch.Name} at {arch.Vision.ImageSize} px, converted by paliconvert from {Path.GetFileName(o.Source.TrimEnd('/'))}";
        using var output = AtomicOutput.ForFolder(o.Output, o.Force, o.Source);
        var graphs = o.Layout == OnnxLayoutKind.Single
            ? [(OnnxLayout.ModelFile, OnnxLayout.Single(arch, views, storage), OnnxLayout.ModelFile + ".data")]
            : OnnxLayout.Split(arch, views, storage).Select(x => (x.file, x.graph, x.file + "_data")).ToList();
        foreach (var (file, g, data) in graphs)
        {
            // each graph beside its data file, which it names relative to itself
            string folder = Path.Combine(output.TempPath, Path.GetDirectoryName(file)!);
            Directory.CreateDirectory(folder);
            OnnxWriter.Write(folder, Path.GetFileName(file), OnnxWriter.Model(g, doc, ModelFacts.Metadata(arch)), g, progress,
                Path.GetFileName(data));
            var check = OnnxChecker.Check(Path.Combine(output.TempPath, file));
            if (!check.Ok)
                throw new InvalidOperationException($"the exported {file} fails its structural check: {string.Join("; ", check.Problems)}");
        }
        if (o.Layout == OnnxLayoutKind.Split) WriteHubConfig(output, arch, views, storage, graphs.Select(x => Path.GetFileName(x.file)));
        if (o.Tokenizer != null) ProcessorFiles.Write(output.TempPath, o.Tokenizer, arch);
        else ProcessorFiles.CopyFrom(ck.Folder, output.TempPath); // an HF folder's tokenizer and processor files travel along
        output.Commit();
        return output.Target;
    }

    /// <summary>
    /// config.json and generation_config.json at the root of the split layout's hub folder, as transformers.js's
    /// from_pretrained reads them; transformers.js_config names the graphs whose weights are external data.
    /// </summary>
    private static void WriteHubConfig(AtomicOutput output, PaliGemmaArch arch, Dictionary<string, TensorView> views, DType storage,
        IEnumerable<string> graphs)
    {
        long rows = views[TensorNames.HfEmbedding].OutputShape[0];
        var config = System.Text.Json.Nodes.JsonNode.Parse(HfConfigWriter.Build(arch, rows, "float32"))!.AsObject();
        var external = new System.Text.Json.Nodes.JsonObject();
        foreach (var g in graphs) external[g] = 1;
        config["transformers.js_config"] = new System.Text.Json.Nodes.JsonObject
        {
            ["dtype"] = storage == DType.F16 ? "fp16" : "fp32",
            ["use_external_data_format"] = external,
        };
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(output.Inside(HfConfigFile.FileName), config.ToJsonString(indented) + "\n");
        File.WriteAllText(output.Inside("generation_config.json"), HfConfigWriter.GenerationConfig);
    }

    /// <summary>The checkpoint's tensors under Hugging Face names and layouts, as views.</summary>
    public static (PaliGemmaArch arch, Dictionary<string, TensorView> views) HfViews(Checkpoint ck, string mappings,
        StatedFacts? stated = null)
    {
        var arch = ArchDetector.Detect(ck, stated);
        if (!TensorNames.IsBigVision(ck))
            return (arch, ck.Tensors.ToDictionary(t => t.Name, TensorView.Of));
        return (arch, Jax2Hf.Views(ck, arch, mappings).views.ToDictionary(v => v.Name));
    }
}
