using System.Globalization;

namespace PaliConvert.Models;

/// <summary>
/// Every fact of a PaliGemma model in one table: the fact list, the quantities rule files name, the facts a big_vision
/// checkpoint cannot show and the cross-checks of a config.json against the tensors are all read from it.
/// </summary>
public static class FactTable
{
    private static readonly GemmaFamily[] Both = [GemmaFamily.Gemma, GemmaFamily.Gemma2], Gemma2 = [GemmaFamily.Gemma2];

    public static IReadOnlyList<Fact> All { get; } =
    [
        Shape("vision_config.hidden_size", a => a.Vision.Width),
        Shape("vision_config.num_hidden_layers", a => a.Vision.Layers),
        Number("vision_config.num_attention_heads", a => a.Vision.Heads),
        Shape("vision_config.intermediate_size", a => a.Vision.Mlp),
        Shape("vision_config.patch_size", a => a.Vision.Patch),
        new("vision_config.image_size", a => I(a.Vision.ImageSize)) { Shown = a => a.Vision.Tokens },
        Number("vision_config.num_image_tokens", a => a.Vision.Tokens),
        new("vision_config.layer_norm_eps", a => F(a.Vision.NormEps)) { GuessedFor = Both },
        new("vision_config.hidden_act", a => a.Vision.Activation.Name()) { GuessedFor = Both },
        new("vision_config.head_dim", a => I(a.Vision.HeadDim)) { Listed = false, Quantity = a => a.Vision.HeadDim },
        new("text_config.model_type", a => a.Family.ModelType()) { Shown = a => (long)a.Family },
        Shape("text_config.hidden_size", a => a.Decoder.Width),
        Shape("text_config.num_hidden_layers", a => a.Decoder.Layers),
        Shape("text_config.num_attention_heads", a => a.Decoder.Heads),
        Shape("text_config.num_key_value_heads", a => a.Decoder.KvHeads),
        Number("text_config.head_dim", a => a.Decoder.HeadDim),
        Shape("text_config.intermediate_size", a => a.Decoder.Mlp),
        new("text_config.vocab_size", a => I(a.Decoder.Vocab)) { Listed = false, Shown = a => a.Decoder.Vocab },
        new("text_config.rms_norm_eps", a => F(a.Decoder.NormEps)) { GuessedFor = Both },
        new("text_config.rope_theta", a => F(a.Decoder.RopeTheta)) { GuessedFor = Both },
        new("text_config.hidden_activation", a => a.Decoder.Activation.Name()) { GuessedFor = Both },
        new("text_config.query_pre_attn_scalar", a => F(a.Decoder.QueryPreAttnScalar)) { GuessedFor = Gemma2 },
        Capped("text_config.attn_logit_softcapping", a => a.Decoder.AttnSoftcap),
        Capped("text_config.final_logit_softcapping", a => a.Decoder.FinalSoftcap),
        new("text_config.sliding_window", a => a.Decoder.SlidingWindow > 0 ? I(a.Decoder.SlidingWindow) : "none") { GuessedFor = Gemma2 },
        new("text_config.layer_types", a => a.Decoder.LayerTypes.Count > 0
            ? string.Join(",", a.Decoder.LayerTypes.Select(t => t.Name())) : "none") { GuessedFor = Gemma2 },
        new("image_token_index", a => I(a.ImageTokenIndex)),
    ];

    /// <summary>The facts rule files may name as sizes.</summary>
    public static IEnumerable<Fact> Quantities => All.Where(f => f.Quantity != null);

    /// <summary>The facts a config.json states that the tensors show too.</summary>
    public static IEnumerable<Fact> Shown => All.Where(f => f.Shown != null);

    /// <summary>The facts of <paramref name="a"/> its big_vision checkpoint cannot show.</summary>
    public static IEnumerable<Fact> Guessed(PaliGemmaArch a) => All.Where(f => f.GuessedFor.Contains(a.Family));

    private static Fact Shape(string key, Func<PaliGemmaArch, int> of) => Number(key, of) with { Shown = a => of(a) };

    private static Fact Number(string key, Func<PaliGemmaArch, int> of) => new(key, a => I(of(a))) { Quantity = a => of(a) };

    private static Fact Capped(string key, Func<PaliGemmaArch, double> of) =>
        new(key, a => of(a) > 0 ? F(of(a)) : "none") { GuessedFor = Gemma2 };

    private static string I(int x) => x.ToString(CultureInfo.InvariantCulture);
    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
