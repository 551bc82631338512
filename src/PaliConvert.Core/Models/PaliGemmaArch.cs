namespace PaliConvert.Models;

/// <summary>The SigLIP tower: shapes, and the facts the weights cannot show.</summary>
public sealed record VisionArch(int Width, int Layers, int Heads, int Mlp, int Patch, int ImageSize, int Tokens)
{
    public int HeadDim => Heads > 0 ? Width / Heads : 0;
    public bool IsSo400m => Width == So400m.Width && Layers == So400m.Layers && Mlp == So400m.Mlp && Patch == So400m.Patch;

    /// <summary>The released tower, SigLIP So400m/14, at <paramref name="imageSize"/> px.</summary>
    public static VisionArch So400mAt(int imageSize) =>
        So400m with { ImageSize = imageSize, Tokens = imageSize / 14 * (imageSize / 14) };

    private static readonly VisionArch So400m = new(1152, 27, 16, 4304, 14, 224, 256);
    public double NormEps { get; init; } = ModelDefaults.NormEps;
    public Activation Activation { get; init; } = ModelDefaults.Activation;
}

/// <summary>The Gemma decoder: shapes, and the facts the weights cannot show.</summary>
public sealed record DecoderArch(int Width, int Layers, int Heads, int KvHeads, int HeadDim, int Mlp, int Vocab)
{
    public bool FusedQkv { get; init; }
    public double NormEps { get; init; } = ModelDefaults.NormEps;
    public double RopeTheta { get; init; } = ModelDefaults.RopeTheta;
    public Activation Activation { get; init; } = ModelDefaults.Activation;
    /// <summary>Queries are scaled by this to the power -0.5.</summary>
    public double QueryPreAttnScalar { get; init; } = HeadDim;
    /// <summary>0: no softcap.</summary>
    public double AttnSoftcap { get; init; }
    /// <summary>Carried in config.json; PaliGemma's logits are not capped by either implementation (README findings).</summary>
    public double FinalSoftcap { get; init; }
    /// <summary>0: no sliding window.</summary>
    public int SlidingWindow { get; init; }
    /// <summary>Per layer, sliding or full attention (Gemma 2); empty for Gemma.</summary>
    public IReadOnlyList<LayerType> LayerTypes { get; init; } = [];

    /// <summary>The window layer <paramref name="l"/> attends within, or 0 for full attention.</summary>
    public int WindowOf(int l) => SlidingWindow > 0 && l < LayerTypes.Count && LayerTypes[l] == LayerType.Sliding ? SlidingWindow : 0;
}

/// <summary>
/// The one description of a PaliGemma model: every shape and every fact a forward pass needs, where each fact came
/// from, and which facts were assumed rather than read or stated.
/// </summary>
public sealed record PaliGemmaArch(
    [property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonNumberEnumConverter<GemmaFamily>))]
    GemmaFamily Family, VisionArch Vision, DecoderArch Decoder, CheckpointFormat Layout)
{
    /// <summary>The &lt;image&gt; token: text ids are below it.</summary>
    public int ImageTokenIndex { get; init; } = Decoder.Vocab;
    /// <summary>Where the facts came from: config.json, the release table, or big_vision's defaults.</summary>
    public string FactsSource { get; init; } = "shapes";
    /// <summary>Facts neither read nor stated, each with the value assumed.</summary>
    public IReadOnlyList<string> Assumed { get; init; } = [];

    public string Size => (Family, Decoder.Width, Decoder.Layers) switch
    {
        (GemmaFamily.Gemma, 2048, 18) => "3B",
        (GemmaFamily.Gemma2, 2304, 26) => "3B",
        (GemmaFamily.Gemma2, 3584, 42) => "10B",
        (GemmaFamily.Gemma2, 4608, 46) => "28B",
        _ => "custom",
    };

    public string Name => $"PaliGemma{(Family == GemmaFamily.Gemma2 ? " 2" : "")} {Size}";

    /// <summary>Every fact by its config.json key, in a fixed order, as text: what verify compares.</summary>
    public IReadOnlyList<(string key, string value)> Facts() =>
        FactTable.All.Where(f => f.Listed).Select(f => (f.Key, f.Text(this))).ToList();

    public string Summary()
    {
        var v = Vision;
        var d = Decoder;
        string vit = v.IsSo400m ? "SigLIP ViT So400m/14" : $"SigLIP ViT/{v.Patch} (custom)";
        string heads = v.Heads > 0 ? $", {v.Heads} heads of {v.HeadDim}" : "";
        string attn = d.KvHeads == 1 ? "multi-query attention" : d.KvHeads == d.Heads ? "multi-head attention" : "grouped-query attention";
        string caps = d.AttnSoftcap > 0 ? $"attention logit softcap {d.AttnSoftcap:G}" : "no attention softcap";
        string window = d.SlidingWindow > 0
            ? $", sliding window {d.SlidingWindow} on {d.LayerTypes.Count(t => t == LayerType.Sliding)} layers" : "";
        string gemma = Family == GemmaFamily.Gemma2
            ? $"Gemma 2 decoder with post-attention and post-feed-forward norms, {caps}{window}"
            : "Gemma decoder";
        return $"{Name} at {v.ImageSize} px. Vision: {vit}, width {v.Width}, {v.Layers} layers{heads}, MLP {v.Mlp}, " +
               $"{v.ImageSize}x{v.ImageSize} px in {v.Tokens} image tokens of {v.Patch}x{v.Patch} patches. " +
               $"Projection: linear {v.Width} -> {d.Width}. Text: {gemma}, width {d.Width}, {d.Layers} layers, " +
               $"{d.Heads} query heads and {d.KvHeads} kv heads of {d.HeadDim} ({attn}), queries scaled by " +
               $"{d.QueryPreAttnScalar:G}^-0.5, MLP {d.Mlp} (gated, {d.Activation.Name()}), RoPE theta {d.RopeTheta:G}, " +
               $"vocabulary {d.Vocab}, <image> token {ImageTokenIndex}, embeddings tied to the output. Facts from {FactsSource}.";
    }
}
