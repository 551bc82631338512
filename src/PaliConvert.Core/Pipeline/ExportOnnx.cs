using PaliConvert.Formats;
using PaliConvert.Formats.Onnx;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record ExportOnnxOptions(string Source, string Output, string MappingsFolder, string DType = "f32", bool Force = false);

/// <summary>
/// A checkpoint of either format -> model.onnx + model.onnx.data. The weights are the Hugging Face tensors: an HF
/// folder's as they are, an .npz's through the jax2hf rules (as views, nothing materialised), so an export from
/// either holds the same bytes.
/// </summary>
public static class ExportOnnx
{
    public const string ModelFile = "model.onnx";

    public static string Run(ExportOnnxOptions o, IProgress<(string, double)>? progress = null)
    {
        var storage = o.DType switch
        {
            "f32" => DType.F32,
            "f16" => DType.F16,
            _ => throw new ArgumentException($"--dtype must be f32 or f16 (ONNX Runtime's CPU kernels have no bf16), not '{o.DType}'"),
        };
        using var ck = CheckpointReader.Open(o.Source);
        var (arch, views) = HfViews(ck, o.MappingsFolder);
        var g = new GraphBuilder();
        var graph = new PaliGemmaGraph(g, arch, views, storage);
        int px = arch.Vision.ImageSize;
        g.Input("pixel_values", DType.F32, "batch", 3, px, px);
        g.Input("input_ids", DType.I64, "batch", "text_length");
        g.Input("token_type_ids", DType.I64, "batch", "text_length");
        string logits = graph.Decoder(graph.Vision("pixel_values"), graph.Embed("input_ids"), "token_type_ids", "input_ids");
        g.Rename(logits, "logits");
        g.Output("logits", DType.F32, "batch", "text_length", views["language_model.model.embed_tokens.weight"].OutputShape[0]);

        using var output = AtomicOutput.ForFolder(o.Output, o.Force);
        OnnxWriter.Write(output.TempPath, ModelFile, OnnxWriter.Model(g, $"{arch.Name} at {px} px, converted by paliconvert from {Path.GetFileName(o.Source.TrimEnd('/'))}"), g, progress);
        var check = OnnxChecker.Check(Path.Combine(output.TempPath, ModelFile));
        if (!check.Ok) throw new InvalidOperationException($"the exported model fails its structural check: {string.Join("; ", check.Problems)}");
        output.Commit();
        return output.Target;
    }

    /// <summary>The checkpoint's tensors under Hugging Face names and layouts, as views.</summary>
    public static (PaliGemmaArch arch, Dictionary<string, TensorView> views) HfViews(Checkpoint ck, string mappings)
    {
        var arch = ArchDetector.Detect(ck);
        if (ck.Find("llm/embedder/input_embedding") == null)
            return (arch, ck.Tensors.ToDictionary(t => t.Name, TensorView.Of));
        var rules = RuleFile.Load(Path.Combine(mappings, arch.Family == 2 ? "paligemma2.yaml" : "paligemma.yaml"));
        long padded = (arch.Decoder.Vocab + 1 + 63) / 64 * 64;
        var views = RuleEngine.Apply(rules, ck, RuleEngine.Symbols(arch, padded));
        return (arch, views.ToDictionary(v => v.Name));
    }
}
