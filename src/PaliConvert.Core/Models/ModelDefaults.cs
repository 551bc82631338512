namespace PaliConvert.Models;

/// <summary>The values big_vision's PaliGemma and transformers' configs default to, in one place.</summary>
public static class ModelDefaults
{
    public const double NormEps = 1e-6, RopeTheta = 10000, AttnSoftcap = 50, FinalSoftcap = 30;
    public const int SlidingWindow = 4096;
    public const string Activation = "gelu_pytorch_tanh";
    public const string Sliding = "sliding_attention", Full = "full_attention";

    /// <summary>Activations the forward pass and the ONNX graph implement, by transformers' names.</summary>
    public static readonly IReadOnlySet<string> Activations = new HashSet<string> { "gelu_pytorch_tanh", "gelu_new", "gelu" };

    /// <summary>Gemma 2's default: layer 0 sliding, then alternating (transformers and big_vision agree).</summary>
    public static string[] AlternatingLayers(int layers) =>
        Enumerable.Range(0, layers).Select(i => i % 2 == 0 ? Sliding : Full).ToArray();

    /// <summary>The value masked attention logits get (big_vision's; transformers uses the dtype's minimum).</summary>
    public const float MaskedLogit = -2.3819763e38f;
}
