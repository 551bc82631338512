using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PieceType = PaliConvert.Formats.SentencePiece.Proto.ModelProto.Types.SentencePiece.Types.Type;

namespace PaliConvert.Formats.SentencePiece;

/// <summary>
/// A SentencePiece BPE model as Hugging Face tokenizers' JSON (tokenizer.json), the way transformers converts Gemma's:
/// spaces become '▁', a BPE model over the pieces with merges ranked by the merged piece's score (so they apply in
/// sentencepiece's order), byte fallback as the model has it, unknowns fused. Settings that JSON cannot reproduce are
/// refused by name.
/// </summary>
public static class TokenizerJson
{
    public const string Space = "\u2581";

    /// <summary>The JSON text, with <paramref name="added"/> tokens (text, id) appended as special added tokens.</summary>
    public static string Build(SentencePieceModel m, IReadOnlyList<(string text, int id)> added)
    {
        Refuse(m);
        foreach (var (text, id) in added)
        {
            int at = m.Pieces.ToList().FindIndex(p => p.Text == text);
            if (at >= 0)
                throw new BadInputException(m.Path, $"{m.Path}: piece {at} is '{text}', the token the model adds at id {id}; a " +
                    "tokenizer.json cannot hold both", text);
        }
        var vocab = new JsonObject();
        for (int i = 0; i < m.Pieces.Count; i++) vocab[m.Pieces[i].Text] = i;
        foreach (var (text, id) in added) vocab[text] = id;
        var tokens = new JsonArray();
        for (int i = 0; i < m.Pieces.Count; i++)
            if (m.Pieces[i].Type is PieceType.Control or PieceType.Unknown or PieceType.UserDefined)
                tokens.Add(Added(i, m.Pieces[i].Text, special: m.Pieces[i].Type != PieceType.UserDefined));
        foreach (var (text, id) in added) tokens.Add(Added(id, text, special: true));
        var unk = m.Pieces.FirstOrDefault(p => p.Type == PieceType.Unknown)?.Text;
        var root = new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = tokens,
            ["normalizer"] = Replace(" ", Space), ["pre_tokenizer"] = null, ["post_processor"] = null,
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(Replace(Space, " "), new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = unk, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = m.ByteFallback, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = Merges(m),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n";
    }

    private static JsonObject Added(int id, string text, bool special) => new()
    {
        ["id"] = id, ["content"] = text, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
        ["normalized"] = false, ["special"] = special,
    };

    private static JsonObject Replace(string from, string to) =>
        new() { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = from }, ["content"] = to };

    /// <summary>
    /// Every split of every piece into two pieces, ranked by the piece's score (highest first; ties in id order, then by
    /// the halves' ids), as transformers' SentencePieceExtractor ranks them. Splits are by Unicode scalar, not UTF-16.
    /// </summary>
    private static JsonArray Merges(SentencePieceModel m)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < m.Pieces.Count; i++) ids[m.Pieces[i].Text] = i;
        var merges = new List<(float score, int order, int left, int right, string l, string r)>();
        for (int i = 0; i < m.Pieces.Count; i++)
        {
            var runes = m.Pieces[i].Text.EnumerateRunes().Select(r => r.ToString()).ToArray();
            for (int k = 1; k < runes.Length; k++)
            {
                string l = string.Concat(runes[..k]), r = string.Concat(runes[k..]);
                if (ids.TryGetValue(l, out int li) && ids.TryGetValue(r, out int ri)) merges.Add((m.Pieces[i].Score, i, li, ri, l, r));
            }
        }
        var ordered = merges.OrderByDescending(x => x.score).ThenBy(x => x.order).ThenBy(x => x.left).ThenBy(x => x.right);
        return new JsonArray(ordered.Select(x => (JsonNode)new JsonArray(x.l, x.r)).ToArray());
    }

    private static void Refuse(SentencePieceModel m)
    {
        var t = m.Trainer;
        var n = m.Normalizer;
        string? why =
            t.ModelType != Proto.TrainerSpec.Types.ModelType.Bpe ? $"model type {t.ModelType} (PaliGemma's tokenizer is BPE)"
            : n.Name is not ("" or "identity") || n.PrecompiledCharsmap.Length > 0 || n.NormalizationRuleTsv.Length > 0
                ? $"normalizer '{n.Name}' (only the identity normalization is reproduced; NFKC and custom rules are not)"
            : n.AddDummyPrefix ? "add_dummy_prefix (Gemma's tokenizer adds no dummy prefix)"
            : n.RemoveExtraWhitespaces ? "remove_extra_whitespaces (Gemma's tokenizer keeps whitespace runs)"
            : !n.EscapeWhitespaces ? "escape_whitespaces off"
            : t.TreatWhitespaceAsSuffix ? "treat_whitespace_as_suffix"
            : m.Pieces.All(p => p.Type != PieceType.Unknown) ? "no <unk> piece"
            : null;
        if (why != null) throw new BadInputException(m.Path, $"{m.Path}: the tokenizer's setting {why} cannot be reproduced in " +
            $"tokenizer.json");
    }
}
