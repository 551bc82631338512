using PaliConvert.Models;

namespace PaliConvert.Mapping;

/// <summary>
/// The quantities of a model that rule files may name as sizes: its integer facts by their config.json keys
/// (<see cref="FactTable.Quantities"/>), and the two vocabularies (big_vision's, and the padded Hugging Face one).
/// </summary>
public static class Quantities
{
    public const string Vocab = "vocab", PaddedVocab = "padded_vocab";

    public static readonly IReadOnlySet<string> Known =
        new HashSet<string>(FactTable.Quantities.Select(f => f.Key).Concat([Vocab, PaddedVocab]));

    /// <summary>The quantities of <paramref name="a"/>, with big_vision's vocabulary and the padded one given.</summary>
    public static Dictionary<string, long> Of(PaliGemmaArch a, long vocab, long paddedVocab)
    {
        var q = FactTable.Quantities.ToDictionary(f => f.Key, f => f.Quantity!(a));
        q[Vocab] = vocab;
        q[PaddedVocab] = paddedVocab;
        return q;
    }
}
