using PaliConvert.Formats.Safetensors;
using PaliConvert.Tensors;

namespace PaliConvert.Models;

/// <summary>Reads the architecture off tensor shapes; every shape is cross-checked against the others.</summary>
public static class ArchDetector
{
    /// <summary>
    /// Shapes from the tensors; facts from config.json beside HF weights (every shape key cross-checked), else from the
    /// release table or big_vision's defaults, with what <paramref name="stated"/> says over them.
    /// </summary>
    public static PaliGemmaArch Detect(Checkpoint ck, StatedFacts? stated = null)
    {
        if (TensorNames.IsBigVision(ck))
            return Warned(ck, ReleaseTable.Complete(FromBigVision(ck), stated ?? StatedFacts.None));
        var cfg = ck.Folder is { } folder ? HfConfigFile.TryRead(folder) : null;
        var shapes = FromHf(ck, cfg?.Arch);
        return cfg == null ? Warned(ck, ReleaseTable.Complete(shapes, stated ?? StatedFacts.None)) : CrossChecked(cfg, shapes);
    }

    private static PaliGemmaArch Warned(Checkpoint ck, PaliGemmaArch a)
    {
        if (a.Assumed.Count > 0)
            IO.Warnings.Raise($"{ck.Path}: its shapes are not a released variant's and the file holds no other facts, so these are " +
                $"assumed from big_vision's defaults: {string.Join(", ", a.Assumed)}");
        return a;
    }

    /// <summary>The config's description, once every shape it states agrees with the tensors.</summary>
    private static PaliGemmaArch CrossChecked(HfConfigFile cfg, PaliGemmaArch shapes)
    {
        var c = cfg.Arch;
        var (cv, sv, cd, sd) = (c.Vision, shapes.Vision, c.Decoder, shapes.Decoder);
        (string key, long config, long tensors)[] pairs =
        [
            ("vision_config.hidden_size", cv.Width, sv.Width), ("vision_config.num_hidden_layers", cv.Layers, sv.Layers),
            ("vision_config.intermediate_size", cv.Mlp, sv.Mlp), ("vision_config.patch_size", cv.Patch, sv.Patch),
            ("vision_config.image_size", cv.Tokens, sv.Tokens), ("text_config.hidden_size", cd.Width, sd.Width),
            ("text_config.num_hidden_layers", cd.Layers, sd.Layers), ("text_config.num_attention_heads", cd.Heads, sd.Heads),
            ("text_config.num_key_value_heads", cd.KvHeads, sd.KvHeads), ("text_config.intermediate_size", cd.Mlp, sd.Mlp),
            ("text_config.vocab_size", cd.Vocab, sd.Vocab), ("text_config.model_type", c.Family, shapes.Family),
        ];
        foreach (var (key, config, tensors) in pairs)
            if (config != tensors)
                throw new BadInputException(cfg.Path, $"{cfg.Path} contradicts the tensors: {key} {Describe(key, config, c, false)} " +
                    $"against " +
                    $"{Describe(key, tensors, shapes, true)} in the tensors");
        return c with { Decoder = cd with { FusedQkv = sd.FusedQkv } };
    }

    private static string Describe(string key, long value, PaliGemmaArch a, bool tensors) => key switch
    {
        "text_config.model_type" => (value == 2 ? "'gemma2'" : "'gemma'")
            + (tensors ? $" ({(value == 2 ? "Gemma 2" : "Gemma")} norms)" : ""),
        "vision_config.image_size" => tensors ? $"{value} position embeddings" : $"{a.Vision.ImageSize} px ({value} image tokens)",
        "text_config.vocab_size" => tensors ? $"{value} rows of embed_tokens" : value.ToString(),
        _ => value.ToString(),
    };

    private static PaliGemmaArch FromBigVision(Checkpoint ck)
    {
        const string enc = "img/Transformer/encoderblock";
        var kernel = Need(ck, "img/embedding/kernel", 4);
        int patch = Dim(kernel, 0), vWidth = Dim(kernel, 3);
        int tokens = Dim(Need(ck, "img/pos_embedding", 3), 1);
        var (vLayers, q) = Layered(ck, enc, "MultiHeadDotProductAttention_0/query/kernel", 3);
        int vHeads = Dim(q, 1);
        var (_, d0) = Layered(ck, enc, "MlpBlock_0/Dense_0/kernel", 2);
        int side = (int)Math.Round(Math.Sqrt(tokens));
        if (side * side != tokens) throw Bad(ck, "img/pos_embedding", $"{tokens} positions do not form a square grid");
        var vision = new VisionArch(vWidth, vLayers, vHeads, Dim(d0, 1), patch, side * patch, tokens);

        var emb = Need(ck, TensorNames.BigVisionEmbedding, 2);
        int vocab = Dim(emb, 0), width = Dim(emb, 1);
        const string lay = "llm/layers";
        int layers, heads, kvHeads, headDim;
        bool fused = HasLayered(ck, lay, "attn/qkv_einsum/w");
        if (fused)
        {
            var (l, qkv) = Layered(ck, lay, "attn/qkv_einsum/w", 4);
            (layers, heads, kvHeads, headDim) = (l, Dim(qkv, 1), Dim(qkv, 1), Dim(qkv, 3));
        }
        else
        {
            var (l, qe) = Layered(ck, lay, "attn/q_einsum/w", 3);
            var (_, kv) = Layered(ck, lay, "attn/kv_einsum/w", 4);
            (layers, heads, kvHeads, headDim) = (l, Dim(qe, 0), Dim(kv, 1), Dim(qe, 2));
        }
        var (_, gating) = Layered(ck, lay, "mlp/gating_einsum", 3);
        int family = HasLayered(ck, lay, "post_attention_norm/scale") ? 2 : 1;
        var decoder = new DecoderArch(width, layers, heads, kvHeads, headDim, Dim(gating, 2), vocab) { FusedQkv = fused };
        int projected = Dim(Need(ck, "img/head/kernel", 2), 1);
        if (projected != width) throw Bad(ck, "img/head/kernel", $"projects to {projected} but the text embedding width is {width}");
        bool stacked = ck.Find($"{lay}/pre_attention_norm/scale") != null;
        return new PaliGemmaArch(family, vision, decoder, stacked ? "big_vision stacked (nn.scan)" : "big_vision unstacked");
    }

    private static PaliGemmaArch FromHf(Checkpoint ck, PaliGemmaArch? cfg)
    {
        const string vis = TensorNames.HfVision, lm = TensorNames.HfDecoder;
        var patchW = Need(ck, vis + "embeddings.patch_embedding.weight", 4);
        int vWidth = Dim(patchW, 0), patch = Dim(patchW, 2);
        int tokens = Dim(Need(ck, vis + "embeddings.position_embedding.weight", 2), 0);
        int vLayers = CountLayers(ck, vis + "encoder.layers.");
        int vMlp = Dim(Need(ck, vis + "encoder.layers.0.mlp.fc1.weight", 2), 0);
        var emb = Need(ck, lm + "embed_tokens.weight", 2);
        int vocab = Dim(emb, 0), width = Dim(emb, 1);
        int layers = CountLayers(ck, lm + "layers.");
        int qRows = Dim(Need(ck, lm + "layers.0.self_attn.q_proj.weight", 2), 0);
        int kRows = Dim(Need(ck, lm + "layers.0.self_attn.k_proj.weight", 2), 0);
        int mlp = Dim(Need(ck, lm + "layers.0.mlp.gate_proj.weight", 2), 0);
        int family = ck.Find(lm + "layers.0.pre_feedforward_layernorm.weight") != null ? 2 : 1;

        int headDim = cfg?.Decoder.HeadDim ?? 256;
        int vHeads = cfg?.Vision.Heads ?? (vWidth % 72 == 0 ? vWidth / 72 : 0);
        if (qRows % headDim != 0 || kRows % headDim != 0)
            throw Bad(ck, lm + "layers.0.self_attn.q_proj.weight", $"{qRows} rows are not a multiple of head_dim {headDim}");
        int heads = qRows / headDim, kv = kRows / headDim;
        int side = (int)Math.Round(Math.Sqrt(tokens));
        var vision = new VisionArch(vWidth, vLayers, vHeads, vMlp, patch, side * patch, tokens);
        return new PaliGemmaArch(family, vision, new DecoderArch(width, layers, heads, kv, headDim, mlp, vocab), "Hugging Face");
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

    private static bool HasLayered(Checkpoint ck, string block, string leaf) =>
        ck.Find($"{block}/{leaf}") != null || ck.Find($"{block}_0/{leaf}") != null;

    /// <summary>Layer count and one layer's shape, for a stacked tensor or its unstacked copies.</summary>
    private static (int layers, long[] perLayer) Layered(Checkpoint ck, string block, string leaf, int perLayerRank)
    {
        var stacked = ck.Find($"{block}/{leaf}");
        if (stacked != null)
        {
            if (stacked.Shape.Length != perLayerRank + 1)
                throw Bad(ck, stacked.Name, $"has shape {Shape.Format(stacked.Shape)}, expected rank {perLayerRank + 1}");
            return (Dim(stacked.Shape, 0), stacked.Shape[1..]);
        }
        int n = 0;
        long[]? first = null;
        while (ck.Find($"{block}_{n}/{leaf}") is { } t)
        {
            if (t.Shape.Length != perLayerRank) throw Bad(ck, t.Name, $"has shape {Shape.Format(t.Shape)}, expected rank {perLayerRank}");
            first ??= t.Shape;
            if (!Shape.Equal(first, t.Shape))
                throw Bad(ck, t.Name, $"has shape {Shape.Format(t.Shape)} but layer 0 has {Shape.Format(first)}");
            n++;
        }
        if (first == null)
            throw new BadInputException(ck.Path, $"{ck.Path}: tensor '{block}/{leaf}' is missing (neither stacked nor as {block}_0/...)");
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
