using System.Globalization;
using PaliConvert.Tensors;

namespace PaliConvert.Models;

/// <summary>
/// Hugging Face's names for every kind of tensor, in the hub spelling (<see cref="KeySpelling"/> turns transformers'
/// in-memory spelling into it). '{i}' is the layer. The one place code names an HF tensor; mappings/*.yaml maps them.
/// </summary>
public static class HfNames
{
    public const string Vision = "vision_tower.vision_model.", Decoder = "language_model.model.";
    public const string VisionLayers = Vision + "encoder.layers.", DecoderLayers = Decoder + "layers.";
    private const string VL = VisionLayers + "{i}.", DL = DecoderLayers + "{i}.";

    public const string Embedding = Decoder + "embed_tokens.weight";

    private static readonly Dictionary<TensorKind, string> Gemma = new()
    {
        [TensorKind.PatchKernel] = Vision + "embeddings.patch_embedding.weight",
        [TensorKind.PatchBias] = Vision + "embeddings.patch_embedding.bias",
        [TensorKind.PositionEmbedding] = Vision + "embeddings.position_embedding.weight",
        [TensorKind.VisionQKernel] = VL + "self_attn.q_proj.weight", [TensorKind.VisionQBias] = VL + "self_attn.q_proj.bias",
        [TensorKind.VisionKKernel] = VL + "self_attn.k_proj.weight", [TensorKind.VisionKBias] = VL + "self_attn.k_proj.bias",
        [TensorKind.VisionVKernel] = VL + "self_attn.v_proj.weight", [TensorKind.VisionVBias] = VL + "self_attn.v_proj.bias",
        [TensorKind.VisionOutKernel] = VL + "self_attn.out_proj.weight", [TensorKind.VisionOutBias] = VL + "self_attn.out_proj.bias",
        [TensorKind.VisionFc1Kernel] = VL + "mlp.fc1.weight", [TensorKind.VisionFc1Bias] = VL + "mlp.fc1.bias",
        [TensorKind.VisionFc2Kernel] = VL + "mlp.fc2.weight", [TensorKind.VisionFc2Bias] = VL + "mlp.fc2.bias",
        [TensorKind.VisionLn1Scale] = VL + "layer_norm1.weight", [TensorKind.VisionLn1Bias] = VL + "layer_norm1.bias",
        [TensorKind.VisionLn2Scale] = VL + "layer_norm2.weight", [TensorKind.VisionLn2Bias] = VL + "layer_norm2.bias",
        [TensorKind.VisionFinalNormScale] = Vision + "post_layernorm.weight",
        [TensorKind.VisionFinalNormBias] = Vision + "post_layernorm.bias",
        [TensorKind.ProjectionKernel] = "multi_modal_projector.linear.weight",
        [TensorKind.ProjectionBias] = "multi_modal_projector.linear.bias",
        [TensorKind.Embedding] = Embedding,
        [TensorKind.Q] = DL + "self_attn.q_proj.weight", [TensorKind.K] = DL + "self_attn.k_proj.weight",
        [TensorKind.V] = DL + "self_attn.v_proj.weight", [TensorKind.O] = DL + "self_attn.o_proj.weight",
        [TensorKind.Gate] = DL + "mlp.gate_proj.weight", [TensorKind.Up] = DL + "mlp.up_proj.weight",
        [TensorKind.Down] = DL + "mlp.down_proj.weight",
        [TensorKind.PreAttentionNorm] = DL + "input_layernorm.weight",
        // Gemma names the norm before the MLP post_attention_layernorm; Gemma 2 calls it pre_feedforward_layernorm and
        // gives post_attention_layernorm to the norm after attention
        [TensorKind.PreFeedForwardNorm] = DL + "post_attention_layernorm.weight",
        [TensorKind.FinalNorm] = Decoder + "norm.weight",
    };

    private static readonly Dictionary<TensorKind, string> Gemma2 = new(Gemma)
    {
        [TensorKind.PreFeedForwardNorm] = DL + "pre_feedforward_layernorm.weight",
        [TensorKind.PostAttentionNorm] = DL + "post_attention_layernorm.weight",
        [TensorKind.PostFeedForwardNorm] = DL + "post_feedforward_layernorm.weight",
    };

    /// <summary>The kinds a family's HF checkpoint holds, in the table's order.</summary>
    public static IEnumerable<TensorKind> Kinds(GemmaFamily family) => (family == GemmaFamily.Gemma2 ? Gemma2 : Gemma).Keys;

    /// <summary>The HF name of a kind (layer <paramref name="layer"/> for per-layer kinds).</summary>
    public static string Of(TensorKind kind, GemmaFamily family, int layer = -1)
    {
        var table = family == GemmaFamily.Gemma2 ? Gemma2 : Gemma;
        if (!table.TryGetValue(kind, out var template))
            throw new InvalidOperationException($"a {family.Label()} model has no {kind} tensor");
        if (kind.PerLayer() != layer >= 0) throw new InvalidOperationException($"{kind}: layer {layer}");
        return layer < 0 ? template : template.Replace("{i}", layer.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The tensor of a kind, its shape checked against <paramref name="shape"/>.</summary>
    public static TensorInfo Get(Checkpoint ck, TensorKind kind, GemmaFamily family, int layer, params long[] shape)
    {
        var t = ck.Get(Of(kind, family, layer));
        return Shape.Equal(t.Shape, shape) ? t : throw new TensorShapeException(ck.Path, t.Name, shape, t.Shape);
    }
}
