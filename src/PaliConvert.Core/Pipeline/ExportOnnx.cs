using PaliConvert.Formats;
using PaliConvert.Formats.Onnx;
using PaliConvert.IO;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

public sealed record ExportOnnxOptions(
    string Source, string Output, string MappingsFolder, string DType = "f32", bool Force = false, string Layout = "single", StatedFacts? Stated = null);

/// <summary>
/// A checkpoint of either format -> model.onnx + model.onnx.data. The weights are the Hugging Face tensors: an HF
/// folder's as they are, an .npz's through the jax2hf rules (as views, nothing materialised), so an export from
/// either holds the same bytes.
/// </summary>
public static class ExportOnnx
{
    public const string ModelFile = "model.onnx";
    public const string VisionFile = "vision_encoder.onnx", EmbedFile = "embed_tokens.onnx", DecoderFile = "decoder_model_merged.onnx";

    /// <summary>A folder holding the split layout.</summary>
    public static bool IsSplitFolder(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, DecoderFile));

    public static string Run(ExportOnnxOptions o, IProgress<(string, double)>? progress = null)
    {
        var storage = o.DType switch
        {
            "f32" => DType.F32,
            "f16" => DType.F16,
            _ => throw new ArgumentException($"--dtype must be f32 or f16 (ONNX Runtime's CPU kernels have no bf16), not '{o.DType}'"),
        };
        if (o.Layout is not ("single" or "split")) throw new ArgumentException($"--layout must be single or split, not '{o.Layout}'");
        using var ck = CheckpointReader.Open(o.Source);
        var (arch, views) = HfViews(ck, o.MappingsFolder, o.Stated);
        string doc = $"{arch.Name} at {arch.Vision.ImageSize} px, converted by paliconvert from {Path.GetFileName(o.Source.TrimEnd('/'))}";
        using var output = AtomicOutput.ForFolder(o.Output, o.Force);
        var graphs = o.Layout == "single"
            ? [(ModelFile, Single(arch, views, storage), ModelFile + ".data")]
            : Split(arch, views, storage).Select(x => (x.file, x.graph, x.file + "_data")).ToList();
        foreach (var (file, g, data) in graphs)
        {
            OnnxWriter.Write(output.TempPath, file, OnnxWriter.Model(g, doc, ModelFacts.Metadata(arch)), g, progress, data);
            var check = OnnxChecker.Check(Path.Combine(output.TempPath, file));
            if (!check.Ok) throw new InvalidOperationException($"the exported {file} fails its structural check: {string.Join("; ", check.Problems)}");
        }
        output.Commit();
        return output.Target;
    }

    private static long Vocab(Dictionary<string, TensorView> views) => views["language_model.model.embed_tokens.weight"].OutputShape[0];

    /// <summary>One graph: pixel_values, input_ids, token_type_ids -> logits of the text positions.</summary>
    private static GraphBuilder Single(PaliGemmaArch arch, Dictionary<string, TensorView> views, DType storage)
    {
        var g = new GraphBuilder();
        var graph = new PaliGemmaGraph(g, arch, views, storage);
        int px = arch.Vision.ImageSize;
        g.Input("pixel_values", DType.F32, "batch", 3, px, px);
        g.Input("input_ids", DType.I64, "batch", "text_length");
        g.Input("token_type_ids", DType.I64, "batch", "text_length");
        string logits = graph.Decoder(graph.Vision("pixel_values"), graph.Embed("input_ids"), "token_type_ids", "input_ids");
        g.Rename(logits, "logits");
        g.Output("logits", DType.F32, "batch", "text_length", Vocab(views));
        return g;
    }

    /// <summary>The three graphs web runtimes (transformers.js) chain, with their input and output names.</summary>
    private static List<(string file, GraphBuilder graph)> Split(PaliGemmaArch arch, Dictionary<string, TensorView> views, DType storage)
    {
        int px = arch.Vision.ImageSize, w = arch.Decoder.Width, k = arch.Decoder.KvHeads, h = arch.Decoder.HeadDim;
        var vision = new GraphBuilder();
        vision.Input("pixel_values", DType.F32, "batch", 3, px, px);
        vision.Rename(new PaliGemmaGraph(vision, arch, views, storage).ImageFeatures("pixel_values"), "image_features");
        vision.Output("image_features", DType.F32, "batch", arch.Vision.Tokens, w);

        var embed = new GraphBuilder();
        embed.Input("input_ids", DType.I64, "batch", "sequence_length");
        embed.Rename(new PaliGemmaGraph(embed, arch, views, storage).Embed("input_ids"), "inputs_embeds");
        embed.Output("inputs_embeds", DType.F32, "batch", "sequence_length", w);

        var dec = new GraphBuilder();
        dec.Input("inputs_embeds", DType.F32, "batch", "sequence_length", w);
        dec.Input("attention_mask", DType.I64, "batch", "total_sequence_length");
        dec.Input("position_ids", DType.I64, "batch", "sequence_length");
        dec.Input("token_type_ids", DType.I64, "batch", "total_sequence_length");
        var past = new List<(string, string)>();
        for (int l = 0; l < arch.Decoder.Layers; l++)
        {
            dec.Input($"past_key_values.{l}.key", DType.F32, "batch", k, "past_sequence_length", h);
            dec.Input($"past_key_values.{l}.value", DType.F32, "batch", k, "past_sequence_length", h);
            past.Add(($"past_key_values.{l}.key", $"past_key_values.{l}.value"));
        }
        var (logits, present) = new PaliGemmaGraph(dec, arch, views, storage).CachedDecoder("inputs_embeds", "attention_mask", "token_type_ids", "position_ids", past);
        dec.Rename(logits, "logits");
        dec.Output("logits", DType.F32, "batch", "sequence_length", Vocab(views));
        for (int l = 0; l < present.Count; l++)
        {
            dec.Node("Identity", [present[l].key]);
            dec.Rename(dec.Graph.Node[^1].Output[0], $"present.{l}.key");
            dec.Node("Identity", [present[l].value]);
            dec.Rename(dec.Graph.Node[^1].Output[0], $"present.{l}.value");
            dec.Output($"present.{l}.key", DType.F32, "batch", k, "total_sequence_length", h);
            dec.Output($"present.{l}.value", DType.F32, "batch", k, "total_sequence_length", h);
        }
        return [(VisionFile, vision), (EmbedFile, embed), (DecoderFile, dec)];
    }

    /// <summary>The checkpoint's tensors under Hugging Face names and layouts, as views.</summary>
    public static (PaliGemmaArch arch, Dictionary<string, TensorView> views) HfViews(Checkpoint ck, string mappings, StatedFacts? stated = null)
    {
        var arch = ArchDetector.Detect(ck, stated);
        if (ck.Find("llm/embedder/input_embedding") == null)
            return (arch, ck.Tensors.ToDictionary(t => t.Name, TensorView.Of));
        return (arch, Jax2Hf.Views(ck, arch, mappings).views.ToDictionary(v => v.Name));
    }
}
