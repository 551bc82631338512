namespace PaliConvert.Models;

/// <summary>The values big_vision's PaliGemma and transformers' configs default to, in one place.</summary>
public static class ModelDefaults
{
    public const double NormEps = 1e-6, RopeTheta = 10000, AttnSoftcap = 50, FinalSoftcap = 30;
    public const int SlidingWindow = 4096;
    public const Activation Activation = Models.Activation.GeluPytorchTanh;

    /// <summary>The value masked attention logits get (big_vision's; transformers uses the dtype's minimum).</summary>
    public const float MaskedLogit = -2.3819763e38f;
}
