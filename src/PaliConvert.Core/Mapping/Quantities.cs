using PaliConvert.Models;

namespace PaliConvert.Mapping;

/// <summary>
/// The quantities of a model that rule files may name as sizes: its integer facts by their config.json keys, the
/// vision head dim, and the two vocabularies (big_vision's, and the padded Hugging Face one).
/// </summary>
public static class Quantities
{
    public const string Vocab = "vocab", PaddedVocab = "padded_vocab", VisionHeadDim = "vision_config.head_dim";

    private static readonly string[] FromFacts =
    [
        "vision_config.hidden_size", "vision_config.num_hidden_layers", "vision_config.num_attention_heads",
        "vision_config.intermediate_size", "vision_config.patch_size", "vision_config.num_image_tokens",
        "text_config.hidden_size", "text_config.num_hidden_layers", "text_config.num_attention_heads",
        "text_config.num_key_value_heads", "text_config.head_dim", "text_config.intermediate_size",
    ];

    public static readonly IReadOnlySet<string> Known = new HashSet<string>(FromFacts.Concat([Vocab, PaddedVocab, VisionHeadDim]));

    /// <summary>The quantities of <paramref name="a"/>, with big_vision's vocabulary and the padded one given.</summary>
    public static Dictionary<string, long> Of(PaliGemmaArch a, long vocab, long paddedVocab)
    {
        var facts = a.Facts().ToDictionary(f => f.key, f => f.value);
        var q = FromFacts.ToDictionary(k => k, k => long.Parse(facts[k], System.Globalization.CultureInfo.InvariantCulture));
        q[VisionHeadDim] = a.Vision.HeadDim;
        q[Vocab] = vocab;
        q[PaddedVocab] = paddedVocab;
        return q;
    }
}
