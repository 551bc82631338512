using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Validation.Diff;

/// <summary>One side of a cross-format diff: its checkpoint(s), its model description, and its tensors by HF name.</summary>
internal sealed class Side : IDisposable
{
    private readonly List<Checkpoint> _opened;
    public PaliGemmaArch Arch { get; }
    public bool IsBigVision { get; }
    /// <summary>Rows of the stored token embedding.</summary>
    public long Rows { get; }

    private Side(List<Checkpoint> opened, PaliGemmaArch arch, bool bigVision)
    {
        (_opened, Arch, IsBigVision) = (opened, arch, bigVision);
        Rows = opened.Select(c => c.Find(bigVision ? BigVisionNames.Embedding : HfNames.Embedding)).First(t => t != null)!.Shape[0];
    }

    public static Side Open(string path, IO.RunScope? scope)
    {
        var files = path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? [path]
            : OnnxLayout.IsSplitFolder(path) ? new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder }
                .Select(g => Path.Combine(path, OnnxLayout.SplitFile(g, OnnxLayout.PickDType(path, OnnxDType.Fp32)))).ToList() : null;
        if (files == null)
        {
            var ck = KeySpelling.Open(path);
            try { return new Side([ck], ArchDetector.Detect(ck, scope: scope), BigVisionNames.Holds(ck)); }
            catch { ck.Dispose(); throw; }
        }
        var graphs = new List<Checkpoint>();
        try
        {
            foreach (var f in files) graphs.Add(OnnxCheckpoint.Open(f));
            var quantized = graphs.SelectMany(g => g.Tensors).FirstOrDefault(t => !t.DType.IsFloat() || t.DType != DType.F32);
            if (quantized != null)
                throw new BadInputException(path, $"{path}: '{quantized.Name}' is {quantized.DType.Label()}: diff compares float32 " +
                    "exports; a quantized or f16 export is proved against its source by verify", quantized.Name);
            var meta = ((OnnxCheckpoint)graphs[^1]).Metadata;
            var facts = ModelFacts.FromMetadata(meta) ?? throw new BadInputException(path, $"{path}: states no model facts " +
                "(not exported by paliconvert), so its tensors cannot be matched");
            return new Side(graphs, FromFacts(path, facts, graphs), false);
        }
        catch
        {
            foreach (var g in graphs) g.Dispose();
            throw;
        }
    }

    /// <summary>An export's description: the shapes its facts state (the weights are the HF tensors).</summary>
    private static PaliGemmaArch FromFacts(string path, IReadOnlyList<(string key, string value)> facts, List<Checkpoint> graphs)
    {
        var f = facts.ToDictionary(x => x.key, x => x.value);
        int I(string k) => int.TryParse(f.GetValueOrDefault(k), out var v) ? v
            : throw new BadInputException(path, $"{path}: metadata '{k}' is missing or not a number", k);
        var emb = graphs.Select(g => g.Find(HfNames.Embedding)).First(t => t != null)!;
        var vision = new VisionArch(I("vision_config.hidden_size"), I("vision_config.num_hidden_layers"),
            I("vision_config.num_attention_heads"), I("vision_config.intermediate_size"), I("vision_config.patch_size"),
            I("vision_config.image_size"), I("vision_config.num_image_tokens"));
        var decoder = new DecoderArch(I("text_config.hidden_size"), I("text_config.num_hidden_layers"),
            I("text_config.num_attention_heads"),
            I("text_config.num_key_value_heads"), I("text_config.head_dim"), I("text_config.intermediate_size"), (int)emb.Shape[0]);
        var family = GemmaFamilyNames.FromModelType(f.GetValueOrDefault("text_config.model_type", "")) ?? throw new BadInputException(path,
            $"{path}: metadata 'text_config.model_type' is not gemma or gemma2", "text_config.model_type");
        return new PaliGemmaArch(family, vision, decoder, CheckpointFormat.Onnx);
    }

    public Dictionary<string, TensorView> Views(RuleSet rules, long rows)
    {
        if (IsBigVision) return HfViews.FromBigVision(_opened[0], Arch, rules, Arch.Decoder.Vocab).views.ToDictionary(v => v.Name);
        var views = new Dictionary<string, TensorView>(StringComparer.Ordinal);
        foreach (var t in _opened.SelectMany(c => c.Tensors)) views.TryAdd(t.Name, TensorView.Of(t));
        if (views.TryGetValue(HfNames.Embedding, out var e) && e.Shape[0] > rows) views[HfNames.Embedding] = e.TakeRows(rows);
        return views;
    }

    public void Dispose()
    {
        foreach (var c in _opened) c.Dispose();
    }
}
