using PaliConvert.Formats.Safetensors;
using PaliConvert.Tensors;
using K = PaliConvert.Models.TensorKind;

namespace PaliConvert.Models;

/// <summary>Reads the architecture off tensor shapes; every shape is cross-checked against the others.</summary>
public static class ArchDetector
{
    /// <summary>
    /// Shapes from the tensors; facts from config.json beside HF weights (every shape key cross-checked), else from the
    /// release table or big_vision's defaults, with what <paramref name="stated"/> says over them. Facts assumed are
    /// in the description's Assumed list, and a warning of <paramref name="scope"/>'s run.
    /// </summary>
    public static PaliGemmaArch Detect(Checkpoint ck, StatedFacts? stated = null, IO.RunScope? scope = null)
    {
        if (BigVisionNames.Holds(ck))
            return Warned(ck, ReleaseTable.Complete(FromBigVision(ck), stated ?? StatedFacts.None), scope);
        var cfg = ck.Folder is { } folder ? HfConfigFile.TryRead(folder) : null;
        var shapes = FromHf(ck, cfg?.Arch);
        return cfg == null ? Warned(ck, ReleaseTable.Complete(shapes, stated ?? StatedFacts.None), scope) : CrossChecked(cfg, shapes);
    }

    private static PaliGemmaArch Warned(Checkpoint ck, PaliGemmaArch a, IO.RunScope? scope)
    {
        if (a.Assumed.Count > 0)
            scope?.Warn(IO.WarningKind.AssumedFacts, $"{ck.Path}: {a.Assumed.Count} facts assumed from big_vision's defaults (its " +
                "shapes are no released variant's; 'paliconvert inspect' lists them)");
        return a;
    }

    /// <summary>The config's description, once every shape it states agrees with the tensors.</summary>
    private static PaliGemmaArch CrossChecked(HfConfigFile cfg, PaliGemmaArch shapes)
    {
        var c = cfg.Arch;
        foreach (var fact in FactTable.Shown)
        {
            long config = fact.Shown!(c), tensors = fact.Shown(shapes);
            if (config != tensors)
                throw new BadInputException(cfg.Path, $"{cfg.Path} contradicts the tensors: {fact.Key} " +
                    $"{Describe(fact.Key, config, c, false)} against {Describe(fact.Key, tensors, shapes, true)} in the tensors", fact.Key);
        }
        return c with { Decoder = c.Decoder with { FusedQkv = shapes.Decoder.FusedQkv } };
    }

    private static string Describe(string key, long value, PaliGemmaArch a, bool tensors) => key switch
    {
        "text_config.model_type" => $"'{((GemmaFamily)value).ModelType()}'" + (tensors ? $" ({((GemmaFamily)value).Label()} norms)" : ""),
        "vision_config.image_size" => tensors ? $"{value} position embeddings" : $"{a.Vision.ImageSize} px ({value} image tokens)",
        "text_config.vocab_size" => tensors ? $"{value} rows of embed_tokens" : value.ToString(),
        _ => value.ToString(),
    };

    private static PaliGemmaArch FromBigVision(Checkpoint ck)
    {
        var kernel = Need(ck, BigVisionNames.PatchKernel, 4);
        int patch = Dim(kernel, 0), vWidth = Dim(kernel, 3);
        int tokens = Dim(Need(ck, Bv(K.PositionEmbedding), 3), 1);
        var (vLayers, q) = Layered(ck, Bv(K.VisionQKernel), 3);
        int vHeads = Dim(q, 1);
        var (_, d0) = Layered(ck, Bv(K.VisionFc1Kernel), 2);
        int side = (int)Math.Round(Math.Sqrt(tokens));
        if (side * side != tokens) throw Bad(ck, Bv(K.PositionEmbedding), $"{tokens} positions do not form a square grid");
        var vision = new VisionArch(vWidth, vLayers, vHeads, Dim(d0, 1), patch, side * patch, tokens);

        var emb = Need(ck, BigVisionNames.Embedding, 2);
        int vocab = Dim(emb, 0), width = Dim(emb, 1);
        int layers, heads, kvHeads, headDim;
        bool fused = HasLayered(ck, BigVisionNames.QkvEinsum);
        if (fused)
        {
            var (l, qkv) = Layered(ck, BigVisionNames.QkvEinsum, 4);
            (layers, heads, kvHeads, headDim) = (l, Dim(qkv, 1), Dim(qkv, 1), Dim(qkv, 3));
        }
        else
        {
            var (l, qe) = Layered(ck, BigVisionNames.QEinsum, 3);
            var (_, kv) = Layered(ck, BigVisionNames.KvEinsum, 4);
            (layers, heads, kvHeads, headDim) = (l, Dim(qe, 0), Dim(kv, 1), Dim(qe, 2));
        }
        var (_, gating) = Layered(ck, BigVisionNames.GatingEinsum, 3);
        var family = HasLayered(ck, Bv(K.PostAttentionNorm)) ? GemmaFamily.Gemma2 : GemmaFamily.Gemma;
        var decoder = new DecoderArch(width, layers, heads, kvHeads, headDim, Dim(gating, 2), vocab) { FusedQkv = fused };
        int projected = Dim(Need(ck, Bv(K.ProjectionKernel), 2), 1);
        if (projected != width) throw Bad(ck, Bv(K.ProjectionKernel), $"projects to {projected} but the text embedding width is {width}");
        bool stacked = ck.Find(Bv(K.PreAttentionNorm)) != null;
        var format = stacked ? CheckpointFormat.BigVisionStacked : CheckpointFormat.BigVisionUnstacked;
        return new PaliGemmaArch(family, vision, decoder, format);
    }

    private static PaliGemmaArch FromHf(Checkpoint ck, PaliGemmaArch? cfg)
    {
        var patchW = Need(ck, Hf(K.PatchKernel), 4);
        int vWidth = Dim(patchW, 0), patch = Dim(patchW, 2);
        int tokens = Dim(Need(ck, Hf(K.PositionEmbedding), 2), 0);
        int vLayers = CountLayers(ck, HfNames.VisionLayers);
        int vMlp = Dim(Need(ck, Hf(K.VisionFc1Kernel, 0), 2), 0);
        var emb = Need(ck, HfNames.Embedding, 2);
        int vocab = Dim(emb, 0), width = Dim(emb, 1);
        int layers = CountLayers(ck, HfNames.DecoderLayers);
        int qRows = Dim(Need(ck, Hf(K.Q, 0), 2), 0);
        int kRows = Dim(Need(ck, Hf(K.K, 0), 2), 0);
        int mlp = Dim(Need(ck, Hf(K.Gate, 0), 2), 0);
        var family = ck.Find(HfNames.Of(K.PreFeedForwardNorm, GemmaFamily.Gemma2, 0)) != null ? GemmaFamily.Gemma2 : GemmaFamily.Gemma;

        int headDim = cfg?.Decoder.HeadDim ?? 256;
        int vHeads = cfg?.Vision.Heads ?? (vWidth % 72 == 0 ? vWidth / 72 : 0);
        if (qRows % headDim != 0 || kRows % headDim != 0)
            throw Bad(ck, Hf(K.Q, 0), cfg == null
                ? $"{qRows} rows do not fit the default head_dim {headDim}, and there is no config.json beside the weights to give " +
                  "it: put the model's config.json in the folder"
                : $"{qRows} rows are not a multiple of head_dim {headDim}");
        int heads = qRows / headDim, kv = kRows / headDim;
        int side = (int)Math.Round(Math.Sqrt(tokens));
        var vision = new VisionArch(vWidth, vLayers, vHeads, vMlp, patch, side * patch, tokens);
        return new PaliGemmaArch(family, vision, new DecoderArch(width, layers, heads, kv, headDim, mlp, vocab),
            CheckpointFormat.HuggingFace);
    }

    private static int CountLayers(Checkpoint ck, string prefix)
    {
        var idx = ck.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(t => t.Name[prefix.Length..]).Select(r => int.TryParse(r[..Math.Max(0, r.IndexOf('.'))], out var i) ? i : -1)
            .Where(i => i >= 0).Distinct().OrderBy(i => i).ToList();
        for (int i = 0; i < idx.Count; i++)
            if (idx[i] != i) throw new BadInputException(ck.Path, $"{ck.Path}: layer {i} is missing under '{prefix}'");
        return idx.Count;
    }

    private static string Bv(K kind) => BigVisionNames.Of(kind).Name;

    /// <summary>A name both families share (the decoder's Gemma table: the kinds read here are named alike in Gemma 2).</summary>
    private static string Hf(K kind, int layer = -1) => HfNames.Of(kind, GemmaFamily.Gemma, layer);

    private static bool HasLayered(Checkpoint ck, string stacked) =>
        ck.Find(stacked) != null || ck.Find(LayerNames.Unstacked(stacked, 0)) != null;

    /// <summary>Layer count and one layer's shape, for a stacked tensor or its unstacked copies.</summary>
    private static (int layers, long[] perLayer) Layered(Checkpoint ck, string name, int perLayerRank)
    {
        var stacked = ck.Find(name);
        if (stacked != null)
        {
            if (stacked.Shape.Length != perLayerRank + 1)
                throw Bad(ck, stacked.Name, $"has shape {Shape.Format(stacked.Shape)}, expected rank {perLayerRank + 1}");
            return (Dim(stacked.Shape, 0), stacked.Shape[1..]);
        }
        int n = 0;
        long[]? first = null;
        while (ck.Find(LayerNames.Unstacked(name, n)) is { } t)
        {
            if (t.Shape.Length != perLayerRank) throw Bad(ck, t.Name, $"has shape {Shape.Format(t.Shape)}, expected rank {perLayerRank}");
            first ??= t.Shape;
            if (!Shape.Equal(first, t.Shape))
                throw Bad(ck, t.Name, $"has shape {Shape.Format(t.Shape)} but layer 0 has {Shape.Format(first)}");
            n++;
        }
        if (first == null)
            throw new BadInputException(ck.Path, $"{ck.Path}: tensor '{name}' is missing (neither stacked nor as " +
                $"{LayerNames.Unstacked(name, 0)})");
        return (n, first);
    }

    private static long[] Need(Checkpoint ck, string name, int rank)
    {
        var t = ck.Find(name) ?? throw new BadInputException(ck.Path, $"{ck.Path}: tensor '{name}' is missing; is this a PaliGemma " +
            $"checkpoint?");
        if (t.Shape.Length != rank) throw Bad(ck, name, $"has shape {Shape.Format(t.Shape)}, expected rank {rank}");
        return t.Shape;
    }

    private static int Dim(long[] shape, int axis) => checked((int)shape[axis]);
    private static BadInputException Bad(Checkpoint ck, string name, string why) => new(ck.Path, $"{ck.Path}: tensor '{name}' {why}", name);
}
