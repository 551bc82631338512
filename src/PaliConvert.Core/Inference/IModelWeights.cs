using PaliConvert.Models;

namespace PaliConvert.Inference;

public enum VisionLinear { Q, K, V, Out, Fc1, Fc2 }
public enum VisionNorm { Ln1, Ln2 }
public enum DecoderLinear { Q, K, V, Out, Gate, Up, Down }
public enum DecoderNorm { PreAttention, PreFeedForward, PostAttention, PostFeedForward }

public static class DecoderNorms
{
    /// <summary>The kind of tensor that holds the norm's scale, in either format's table.</summary>
    public static TensorKind Kind(this DecoderNorm n) => n switch
    {
        DecoderNorm.PreAttention => TensorKind.PreAttentionNorm,
        DecoderNorm.PreFeedForward => TensorKind.PreFeedForwardNorm,
        DecoderNorm.PostAttention => TensorKind.PostAttentionNorm,
        _ => TensorKind.PostFeedForwardNorm,
    };
}

/// <summary>
/// The order of a patch's values the patch embedding expects: big_vision (row, column, channel), HF (channel, row, column).
/// </summary>
public enum PatchOrder { RowColumnChannel, ChannelRowColumn }

/// <summary>
/// What the forward pass needs, in each format's own layout. The two implementations are written independently from
/// docs/PALIGEMMA.md; the Hugging Face one does not use the mapping rules, so comparing their logits checks the rules.
/// </summary>
public interface IModelWeights
{
    PaliGemmaArch Arch { get; }
    /// <summary>Rows of the (tied) embedding: the logits' width.</summary>
    int VocabRows { get; }

    PatchOrder PatchOrder { get; }
    Linear PatchEmbedding();
    float[] PositionEmbedding();
    Linear Vision(VisionLinear which, int layer);
    (float[] scale, float[] bias) Vision(VisionNorm which, int layer);
    (float[] scale, float[] bias) VisionFinalNorm();
    Linear Projection();

    void EmbedToken(int token, Span<float> row);
    Linear Decoder(DecoderLinear which, int layer);
    float[] Decoder(DecoderNorm which, int layer);
    float[] FinalNorm();
    /// <summary>Logits = x E^T over the tied embedding.</summary>
    Linear Unembed();
}
