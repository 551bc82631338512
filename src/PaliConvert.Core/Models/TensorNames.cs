using PaliConvert.Tensors;

namespace PaliConvert.Models;

/// <summary>The tensor names code needs to know (the conversion itself lives in mappings/*.yaml), in one place.</summary>
public static class TensorNames
{
    /// <summary>Hugging Face (hub spelling) prefixes of the vision tower and the decoder.</summary>
    public const string HfVision = "vision_tower.vision_model.", HfDecoder = "language_model.model.";
    public const string HfEmbedding = HfDecoder + "embed_tokens.weight";

    /// <summary>big_vision's token embedding, and the stacked decoder and vision blocks.</summary>
    public const string BigVisionEmbedding = "llm/embedder/input_embedding";
    public const string BigVisionDecoder = "llm/layers", BigVisionEncoder = "img/Transformer/encoderblock";

    /// <summary>Whether the checkpoint holds big_vision's names (an .npz always does), else Hugging Face's.</summary>
    public static bool IsBigVision(Checkpoint ck) =>
        ck.Format == "npz" || ck.Find(BigVisionEmbedding) != null || ck.Find("img/embedding/kernel") != null;
}
