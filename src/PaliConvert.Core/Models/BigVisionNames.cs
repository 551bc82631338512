using PaliConvert.Tensors;

namespace PaliConvert.Models;

/// <summary>Where a kind of tensor lives in a big_vision checkpoint: the stacked tensor, and its index along the part axis.</summary>
public sealed record BigVisionName(string Name, int Part = -1);

/// <summary>
/// big_vision's names for every kind of tensor: per-layer kinds live in tensors stacked on axis 0 (nn.scan), and the
/// decoder's attention and MLP kernels share einsum tensors along a part axis (kv_einsum: keys 0, values 1;
/// qkv_einsum where every query head has its own kv head; gating_einsum: gate 0, up 1). Checkpoints saved without
/// nn.scan hold 'encoderblock_3/...' and 'layers_3/...' (<see cref="LayerNames.Unstacked"/>). The one place code
/// names a big_vision tensor; mappings/*.yaml maps them.
/// </summary>
public static class BigVisionNames
{
    public const string Encoder = "img/Transformer/encoderblock/", Decoder = "llm/layers/";
    private const string Attn = Encoder + "MultiHeadDotProductAttention_0/", Mlp = Encoder + "MlpBlock_0/";

    public const string Embedding = "llm/embedder/input_embedding", PatchKernel = "img/embedding/kernel";
    public const string QEinsum = Decoder + "attn/q_einsum/w", KvEinsum = Decoder + "attn/kv_einsum/w";
    public const string QkvEinsum = Decoder + "attn/qkv_einsum/w", GatingEinsum = Decoder + "mlp/gating_einsum";

    private static readonly Dictionary<TensorKind, string> Plain = new()
    {
        [TensorKind.PatchKernel] = PatchKernel, [TensorKind.PatchBias] = "img/embedding/bias",
        [TensorKind.PositionEmbedding] = "img/pos_embedding",
        [TensorKind.VisionQKernel] = Attn + "query/kernel", [TensorKind.VisionQBias] = Attn + "query/bias",
        [TensorKind.VisionKKernel] = Attn + "key/kernel", [TensorKind.VisionKBias] = Attn + "key/bias",
        [TensorKind.VisionVKernel] = Attn + "value/kernel", [TensorKind.VisionVBias] = Attn + "value/bias",
        [TensorKind.VisionOutKernel] = Attn + "out/kernel", [TensorKind.VisionOutBias] = Attn + "out/bias",
        [TensorKind.VisionFc1Kernel] = Mlp + "Dense_0/kernel", [TensorKind.VisionFc1Bias] = Mlp + "Dense_0/bias",
        [TensorKind.VisionFc2Kernel] = Mlp + "Dense_1/kernel", [TensorKind.VisionFc2Bias] = Mlp + "Dense_1/bias",
        [TensorKind.VisionLn1Scale] = Encoder + "LayerNorm_0/scale", [TensorKind.VisionLn1Bias] = Encoder + "LayerNorm_0/bias",
        [TensorKind.VisionLn2Scale] = Encoder + "LayerNorm_1/scale", [TensorKind.VisionLn2Bias] = Encoder + "LayerNorm_1/bias",
        [TensorKind.VisionFinalNormScale] = "img/Transformer/encoder_norm/scale",
        [TensorKind.VisionFinalNormBias] = "img/Transformer/encoder_norm/bias",
        [TensorKind.ProjectionKernel] = "img/head/kernel", [TensorKind.ProjectionBias] = "img/head/bias",
        [TensorKind.Embedding] = Embedding,
        [TensorKind.O] = Decoder + "attn/attn_vec_einsum/w", [TensorKind.Down] = Decoder + "mlp/linear",
        [TensorKind.PreAttentionNorm] = Decoder + "pre_attention_norm/scale",
        [TensorKind.PreFeedForwardNorm] = Decoder + "pre_ffw_norm/scale",
        [TensorKind.PostAttentionNorm] = Decoder + "post_attention_norm/scale",
        [TensorKind.PostFeedForwardNorm] = Decoder + "post_ffw_norm/scale",
        [TensorKind.FinalNorm] = "llm/final_norm/scale",
    };

    /// <summary>Where <paramref name="kind"/> lives; <paramref name="fusedQkv"/>: the checkpoint holds qkv_einsum.</summary>
    public static BigVisionName Of(TensorKind kind, bool fusedQkv = false) => kind switch
    {
        TensorKind.Q => fusedQkv ? new(QkvEinsum, 0) : new(QEinsum),
        TensorKind.K => fusedQkv ? new(QkvEinsum, 1) : new(KvEinsum, 0),
        TensorKind.V => fusedQkv ? new(QkvEinsum, 2) : new(KvEinsum, 1),
        TensorKind.Gate => new(GatingEinsum, 0),
        TensorKind.Up => new(GatingEinsum, 1),
        _ => new(Plain[kind]),
    };

    /// <summary>
    /// Every tensor a stacked (nn.scan) big_vision checkpoint of <paramref name="a"/> holds, with its shape, in the
    /// table's order: what big_vision's model code creates.
    /// </summary>
    public static List<(string name, long[] shape)> Stacked(PaliGemmaArch a)
    {
        var (v, d) = (a.Vision, a.Decoder);
        long D = v.Width, VL = v.Layers, VH = v.Heads, VHD = v.HeadDim, VM = v.Mlp, P = v.Patch;
        long W = d.Width, L = d.Layers, N = d.Heads, K = d.KvHeads, H = d.HeadDim, F = d.Mlp;
        long[] Shape(TensorKind k) => k switch
        {
            TensorKind.PatchKernel => [P, P, 3, D],
            TensorKind.PositionEmbedding => [1, v.Tokens, D],
            TensorKind.PatchBias or TensorKind.VisionFinalNormScale or TensorKind.VisionFinalNormBias => [D],
            TensorKind.VisionQKernel or TensorKind.VisionKKernel or TensorKind.VisionVKernel => [VL, D, VH, VHD],
            TensorKind.VisionQBias or TensorKind.VisionKBias or TensorKind.VisionVBias => [VL, VH, VHD],
            TensorKind.VisionOutKernel => [VL, VH, VHD, D],
            TensorKind.VisionFc1Kernel => [VL, D, VM],
            TensorKind.VisionFc1Bias => [VL, VM],
            TensorKind.VisionFc2Kernel => [VL, VM, D],
            TensorKind.VisionOutBias or TensorKind.VisionFc2Bias or TensorKind.VisionLn1Scale or TensorKind.VisionLn1Bias
                or TensorKind.VisionLn2Scale or TensorKind.VisionLn2Bias => [VL, D],
            TensorKind.ProjectionKernel => [D, W],
            TensorKind.ProjectionBias or TensorKind.FinalNorm => [W],
            TensorKind.Embedding => [d.Vocab, W],
            TensorKind.Q => d.FusedQkv ? [L, 3, N, W, H] : [L, N, W, H],
            TensorKind.K or TensorKind.V => d.FusedQkv ? [L, 3, N, W, H] : [L, 2, K, W, H],
            TensorKind.O => [L, N, H, W],
            TensorKind.Gate or TensorKind.Up => [L, 2, W, F],
            TensorKind.Down => [L, F, W],
            _ => [L, W], // the decoder's norms
        };
        return HfNames.Kinds(a.Family).Select(k => (Of(k, d.FusedQkv).Name, Shape(k))).DistinctBy(t => t.Item1).ToList();
    }

    /// <summary>Whether the checkpoint holds big_vision's names (an .npz always does), else Hugging Face's.</summary>
    public static bool Holds(Checkpoint ck) => ck.Format == "npz" || ck.Find(Embedding) != null || ck.Find(PatchKernel) != null;

    /// <summary>
    /// Layer <paramref name="layer"/> of a stacked tensor (or its unstacked copy), shape-checked against the layer's
    /// <paramref name="shape"/>: the tensor and the element offset where the layer starts.
    /// </summary>
    public static (TensorInfo t, long offset) Layer(Checkpoint ck, string stacked, int layer, params long[] shape)
    {
        if (ck.Find(stacked) is { } t)
        {
            long[] all = [t.Shape.Length > 0 ? t.Shape[0] : 0, .. shape];
            if (!Shape.Equal(t.Shape, all) || layer >= t.Shape[0]) throw new TensorShapeException(ck.Path, t.Name, all, t.Shape);
            return (t, layer * Shape.Elements(shape));
        }
        var u = ck.Get(LayerNames.Unstacked(stacked, layer));
        return Shape.Equal(u.Shape, shape) ? (u, 0) : throw new TensorShapeException(ck.Path, u.Name, shape, u.Shape);
    }

    /// <summary>A tensor that is not per layer, shape-checked.</summary>
    public static TensorInfo Get(Checkpoint ck, string name, params long[] shape)
    {
        var t = ck.Get(name);
        return Shape.Equal(t.Shape, shape) ? t : throw new TensorShapeException(ck.Path, t.Name, shape, t.Shape);
    }
}
