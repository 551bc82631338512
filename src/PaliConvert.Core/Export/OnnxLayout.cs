using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Export;

/// <summary>The exported files: one graph (model.onnx), or the three graphs web runtimes chain (the split layout).</summary>
public static class OnnxLayout
{
    public const string ModelFile = "model.onnx";
    public const string Vision = "vision_encoder", Embed = "embed_tokens", Decoder = "decoder_model_merged";

    /// <summary>The split layout's graphs live in this subfolder of a hub folder, as transformers.js looks for them.</summary>
    public const string SplitFolder = "onnx";

    /// <summary>A split graph's file: onnx/NAME[SUFFIX].onnx.</summary>
    public static string SplitFile(string name, OnnxDType dtype) => Path.Combine(SplitFolder, name + dtype.Suffix() + ".onnx");

    /// <summary>The dtypes whose three split graphs a hub folder holds (none: not a split folder).</summary>
    public static List<OnnxDType> SplitDTypes(string path) => !Directory.Exists(path) ? []
        : OnnxDTypes.All.Where(d => new[] { Vision, Embed, Decoder }.All(n => File.Exists(Path.Combine(path, SplitFile(n, d))))).ToList();

    public static bool IsSplitFolder(string path) => SplitDTypes(path).Count > 0;

    /// <summary>The variant to run: the one asked for, else fp32 when present, else the only one.</summary>
    public static OnnxDType PickDType(string folder, OnnxDType? wanted)
    {
        var present = SplitDTypes(folder);
        string names = string.Join(", ", present.Select(d => d.Name()));
        if (wanted is { } w)
            return present.Contains(w) ? w : throw new BadInputException(folder, $"{folder}: holds no {w.Name()} graphs (it holds " +
                $"{names})");
        if (present.Contains(OnnxDType.Fp32)) return OnnxDType.Fp32;
        if (present.Count == 1) return present[0];
        throw new BadInputException(folder, $"{folder}: holds several variants ({names}) and no fp32; name the one to run");
    }

    private static long Vocab(Dictionary<string, TensorView> views) => views[HfNames.Embedding].OutputShape[0];

    /// <summary>One graph: pixel_values, input_ids, token_type_ids -> logits of the text positions.</summary>
    public static GraphBuilder Single(PaliGemmaArch arch, Dictionary<string, TensorView> views, OnnxWeights storage)
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
    public static List<(string file, GraphBuilder graph)> Split(PaliGemmaArch arch, Dictionary<string, TensorView> views,
        OnnxWeights storage)
    {
        int px = arch.Vision.ImageSize, w = arch.Decoder.Width, k = arch.Decoder.KvHeads, h = arch.Decoder.HeadDim;
        var vision = new GraphBuilder();
        vision.Input("pixel_values", DType.F32, "batch_size", 3, px, px);
        vision.Rename(new PaliGemmaGraph(vision, arch, views, storage).ImageFeatures("pixel_values"), "image_features");
        vision.Output("image_features", DType.F32, "batch_size", arch.Vision.Tokens, w);

        var embed = new GraphBuilder();
        embed.Input("input_ids", DType.I64, "batch_size", "sequence_length");
        embed.Rename(new PaliGemmaGraph(embed, arch, views, storage).Embed("input_ids"), "inputs_embeds");
        embed.Output("inputs_embeds", DType.F32, "batch_size", "sequence_length", w);

        var dec = new GraphBuilder();
        dec.Input("inputs_embeds", DType.F32, "batch_size", "sequence_length", w);
        dec.Input("attention_mask", DType.I64, "batch_size", "total_sequence_length");
        dec.Input("position_ids", DType.I64, "batch_size", "sequence_length");
        var past = new List<(string, string)>();
        for (int l = 0; l < arch.Decoder.Layers; l++)
        {
            dec.Input($"past_key_values.{l}.key", DType.F32, "batch_size", k, "past_sequence_length", h);
            dec.Input($"past_key_values.{l}.value", DType.F32, "batch_size", k, "past_sequence_length", h);
            past.Add(($"past_key_values.{l}.key", $"past_key_values.{l}.value"));
        }
        var (logits, present) = new PaliGemmaGraph(dec, arch, views, storage).CachedDecoder("inputs_embeds", "attention_mask",
            "position_ids", past);
        dec.Rename(logits, "logits");
        dec.Output("logits", DType.F32, "batch_size", "sequence_length", Vocab(views));
        for (int l = 0; l < present.Count; l++)
        {
            dec.Node("Identity", [present[l].key]);
            dec.Rename(dec.Graph.Node[^1].Output[0], $"present.{l}.key");
            dec.Node("Identity", [present[l].value]);
            dec.Rename(dec.Graph.Node[^1].Output[0], $"present.{l}.value");
            dec.Output($"present.{l}.key", DType.F32, "batch_size", k, "total_sequence_length", h);
            dec.Output($"present.{l}.value", DType.F32, "batch_size", k, "total_sequence_length", h);
        }
        var d = storage.DType;
        return [(SplitFile(Vision, d), vision), (SplitFile(Embed, d), embed), (SplitFile(Decoder, d), dec)];
    }
}
