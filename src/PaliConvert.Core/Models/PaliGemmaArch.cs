using System.Globalization;

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
    public string Activation { get; init; } = ModelDefaults.Activation;
}

/// <summary>The Gemma decoder: shapes, and the facts the weights cannot show.</summary>
public sealed record DecoderArch(int Width, int Layers, int Heads, int KvHeads, int HeadDim, int Mlp, int Vocab)
{
    public bool FusedQkv { get; init; }
    public double NormEps { get; init; } = ModelDefaults.NormEps;
    public double RopeTheta { get; init; } = ModelDefaults.RopeTheta;
    public string Activation { get; init; } = ModelDefaults.Activation;
    /// <summary>Queries are scaled by this to the power -0.5.</summary>
    public double QueryPreAttnScalar { get; init; } = HeadDim;
    /// <summary>0: no softcap.</summary>
    public double AttnSoftcap { get; init; }
    /// <summary>Carried in config.json; PaliGemma's logits are not capped by either implementation (README findings).</summary>
    public double FinalSoftcap { get; init; }
    /// <summary>0: no sliding window.</summary>
    public int SlidingWindow { get; init; }
    /// <summary>Per layer: "sliding_attention" or "full_attention" (Gemma 2); empty for Gemma.</summary>
    public IReadOnlyList<string> LayerTypes { get; init; } = [];

    /// <summary>The window layer <paramref name="l"/> attends within, or 0 for full attention.</summary>
    public int WindowOf(int l) => SlidingWindow > 0 && l < LayerTypes.Count && LayerTypes[l] == ModelDefaults.Sliding ? SlidingWindow : 0;
}

/// <summary>
/// The one description of a PaliGemma model: every shape and every fact a forward pass needs, where each fact came
/// from, and which facts were assumed rather than read or stated.
/// </summary>
public sealed record PaliGemmaArch(int Family, VisionArch Vision, DecoderArch Decoder, string Layout)
{
    /// <summary>The &lt;image&gt; token: text ids are below it.</summary>
    public int ImageTokenIndex { get; init; } = Decoder.Vocab;
    /// <summary>Where the facts came from: config.json, the release table, or big_vision's defaults.</summary>
    public string FactsSource { get; init; } = "shapes";
    /// <summary>Facts neither read nor stated, each with the value assumed.</summary>
    public IReadOnlyList<string> Assumed { get; init; } = [];

    public string Size => (Family, Decoder.Width, Decoder.Layers) switch
    {
        (1, 2048, 18) => "3B",
        (2, 2304, 26) => "3B",
        (2, 3584, 42) => "10B",
        (2, 4608, 46) => "28B",
        _ => "custom",
    };

    public string Name => $"PaliGemma{(Family == 2 ? " 2" : "")} {Size}";

    /// <summary>Every fact by its config.json key, in a fixed order, as text: what verify compares.</summary>
    public IReadOnlyList<(string key, string value)> Facts()
    {
        var v = Vision;
        var d = Decoder;
        return
        [
            ("vision_config.hidden_size", I(v.Width)), ("vision_config.num_hidden_layers", I(v.Layers)),
            ("vision_config.num_attention_heads", I(v.Heads)), ("vision_config.intermediate_size", I(v.Mlp)),
            ("vision_config.patch_size", I(v.Patch)), ("vision_config.image_size", I(v.ImageSize)),
            ("vision_config.num_image_tokens", I(v.Tokens)), ("vision_config.layer_norm_eps", F(v.NormEps)),
            ("vision_config.hidden_act", v.Activation),
            ("text_config.model_type", Family == 2 ? "gemma2" : "gemma"), ("text_config.hidden_size", I(d.Width)),
            ("text_config.num_hidden_layers", I(d.Layers)), ("text_config.num_attention_heads", I(d.Heads)),
            ("text_config.num_key_value_heads", I(d.KvHeads)), ("text_config.head_dim", I(d.HeadDim)),
            ("text_config.intermediate_size", I(d.Mlp)), ("text_config.rms_norm_eps", F(d.NormEps)),
            ("text_config.rope_theta", F(d.RopeTheta)), ("text_config.hidden_activation", d.Activation),
            ("text_config.query_pre_attn_scalar", F(d.QueryPreAttnScalar)),
            ("text_config.attn_logit_softcapping", d.AttnSoftcap > 0 ? F(d.AttnSoftcap) : "none"),
            ("text_config.final_logit_softcapping", d.FinalSoftcap > 0 ? F(d.FinalSoftcap) : "none"),
            ("text_config.sliding_window", d.SlidingWindow > 0 ? I(d.SlidingWindow) : "none"),
            ("text_config.layer_types", d.LayerTypes.Count > 0 ? string.Join(",", d.LayerTypes) : "none"),
            ("image_token_index", I(ImageTokenIndex)),
        ];
    }

    private static string I(int x) => x.ToString(CultureInfo.InvariantCulture);
    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    public string Summary()
    {
        var v = Vision;
        var d = Decoder;
        string vit = v.IsSo400m ? "SigLIP ViT So400m/14" : $"SigLIP ViT/{v.Patch} (custom)";
        string heads = v.Heads > 0 ? $", {v.Heads} heads of {v.HeadDim}" : "";
        string attn = d.KvHeads == 1 ? "multi-query attention" : d.KvHeads == d.Heads ? "multi-head attention" : "grouped-query attention";
        string caps = d.AttnSoftcap > 0 ? $"attention logit softcap {d.AttnSoftcap:G}" : "no attention softcap";
        string window = d.SlidingWindow > 0
            ? $", sliding window {d.SlidingWindow} on {d.LayerTypes.Count(t => t == ModelDefaults.Sliding)} layers" : "";
        string gemma = Family == 2
            ? $"Gemma 2 decoder with post-attention and post-feed-forward norms, {caps}{window}"
            : "Gemma decoder";
        return $"{Name} at {v.ImageSize} px. Vision: {vit}, width {v.Width}, {v.Layers} layers{heads}, MLP {v.Mlp}, " +
               $"{v.ImageSize}x{v.ImageSize} px in {v.Tokens} image tokens of {v.Patch}x{v.Patch} patches. " +
               $"Projection: linear {v.Width} -> {d.Width}. Text: {gemma}, width {d.Width}, {d.Layers} layers, " +
               $"{d.Heads} query heads and {d.KvHeads} kv heads of {d.HeadDim} ({attn}), queries scaled by " +
               $"{d.QueryPreAttnScalar:G}^-0.5, MLP {d.Mlp} (gated, {d.Activation}), RoPE theta {d.RopeTheta:G}, " +
               $"vocabulary {d.Vocab}, <image> token {ImageTokenIndex}, embeddings tied to the output. Facts from {FactsSource}.";
    }
}
