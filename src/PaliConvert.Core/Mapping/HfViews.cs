using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Mapping;

/// <summary>A checkpoint's tensors under Hugging Face names and layouts, as views: an HF folder's as they are, an .npz's by rule.</summary>
public static class HfViews
{
    /// <summary>
    /// big_vision tensors as Hugging Face tensors (views, nothing copied), by the family's rules, the vocabulary padded
    /// to <paramref name="paddedRows"/> (by default round_up(V + 1, 64), for the appended &lt;image&gt; token).
    /// </summary>
    public static (List<TensorView> views, long rows) FromBigVision(Checkpoint ck, PaliGemmaArch arch, RuleSet rules,
        long? paddedRows = null)
    {
        long vocab = arch.Decoder.Vocab;
        long padded = paddedRows ?? PaddedVocab(vocab);
        var quantities = Quantities.Of(arch, vocab, padded);
        var (_, views) = rules.Apply(arch.Family, f => RuleEngine.Fit(f, ck, f.Symbols(quantities)));
        return (views, padded);
    }

    public static long PaddedVocab(long vocab) => (vocab + 1 + 63) / 64 * 64;

    /// <summary>Any checkpoint's tensors by their Hugging Face names.</summary>
    public static Dictionary<string, TensorView> Of(Checkpoint ck, PaliGemmaArch arch, RuleSet rules, long? paddedRows = null) =>
        BigVisionNames.Holds(ck) ? FromBigVision(ck, arch, rules, paddedRows).views.ToDictionary(v => v.Name)
            : ck.Tensors.ToDictionary(t => t.Name, TensorView.Of);
}
