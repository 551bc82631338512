using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Export;

/// <summary>The exported files: one graph (model.onnx), or the three graphs web runtimes chain (the split layout).</summary>
public static class OnnxLayout
{
    public const string ModelFile = "model.onnx";
    public const string VisionFile = "vision_encoder.onnx", EmbedFile = "embed_tokens.onnx", DecoderFile = "decoder_model_merged.onnx";

    /// <summary>A folder holding the split layout.</summary>
    public static bool IsSplitFolder(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, DecoderFile));

    private static long Vocab(Dictionary<string, TensorView> views) => views["language_model.model.embed_tokens.weight"].OutputShape[0];

    /// <summary>One graph: pixel_values, input_ids, token_type_ids -> logits of the text positions.</summary>
    public static GraphBuilder Single(PaliGemmaArch arch, Dictionary<string, TensorView> views, DType storage)
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
    public static List<(string file, GraphBuilder graph)> Split(PaliGemmaArch arch, Dictionary<string, TensorView> views, DType storage)
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
        var (logits, present) = new PaliGemmaGraph(dec, arch, views, storage).CachedDecoder("inputs_embeds", "attention_mask",
            "token_type_ids", "position_ids", past);
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
}
