namespace PaliConvert.Models;

public sealed record VisionArch(int Width, int Layers, int Heads, int Mlp, int Patch, int ImageSize, int Tokens)
{
    public int HeadDim => Heads > 0 ? Width / Heads : 0;
    public bool IsSo400m => Width == 1152 && Layers == 27 && Mlp == 4304 && Patch == 14;
}

public sealed record DecoderArch(int Width, int Layers, int Heads, int KvHeads, int HeadDim, int Mlp, int Vocab)
{
    public bool FusedQkv { get; init; }
}

/// <summary>The architecture of a PaliGemma checkpoint as read off its tensors (and config.json for HF heads).</summary>
public sealed record PaliGemmaArch(int Family, VisionArch Vision, DecoderArch Decoder, string Layout)
{
    public string Size => (Family, Decoder.Width, Decoder.Layers) switch
    {
        (1, 2048, 18) => "3B",
        (2, 2304, 26) => "3B",
        (2, 3584, 42) => "10B",
        (2, 4608, 46) => "28B",
        _ => "custom",
    };

    public string Name => $"PaliGemma{(Family == 2 ? " 2" : "")} {Size}";

    /// <summary>PaliGemma 2 28B scales queries by (width/heads)^-0.5 rather than head_dim^-0.5.</summary>
    public double QueryPreAttnScalar => Family == 2 && Decoder.Heads * Decoder.HeadDim != Decoder.Width && Size == "28B"
        ? (double)Decoder.Width / Decoder.Heads
        : Decoder.HeadDim;

    public string Summary()
    {
        var v = Vision;
        var d = Decoder;
        string vit = v.IsSo400m ? "SigLIP ViT So400m/14" : $"SigLIP ViT/{v.Patch} (custom)";
        string heads = v.Heads > 0 ? $", {v.Heads} heads of {v.HeadDim}" : "";
        string attn = d.KvHeads == 1 ? "multi-query attention" : d.KvHeads == d.Heads ? "multi-head attention" : "grouped-query attention";
        string gemma = Family == 2
            ? "Gemma 2 decoder with post-attention and post-feed-forward norms and logit softcaps 50 (attention) / 30 (final)"
            : "Gemma decoder";
        return $"{Name} at {v.ImageSize} px. Vision: {vit}, width {v.Width}, {v.Layers} layers{heads}, MLP {v.Mlp}, " +
               $"{v.ImageSize}x{v.ImageSize} px in {v.Tokens} image tokens of {v.Patch}x{v.Patch} patches. " +
               $"Projection: linear {v.Width} -> {d.Width}. Text: {gemma}, width {d.Width}, {d.Layers} layers, " +
               $"{d.Heads} query heads and {d.KvHeads} kv heads of {d.HeadDim} ({attn}), MLP {d.Mlp} (gated tanh-GELU), " +
               $"vocabulary {d.Vocab}, embeddings tied to the output.";
    }
}
