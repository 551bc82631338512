using System.Text;
using PieceType = PaliConvert.Formats.SentencePiece.Proto.ModelProto.Types.SentencePiece.Types.Type;

namespace PaliConvert.Formats.SentencePiece;

/// <summary>
/// Text to ids and back exactly as sentencepiece's BPE model does it (bpe_model.cc), for a model checked by
/// <see cref="SentencePieceModel"/>: spaces become '▁', user-defined pieces (Gemma's &lt;loc####&gt;, &lt;seg###&gt;) are
/// matched whole, longest first; the other characters are merged pairwise, the pair whose merged piece scores highest
/// first and the leftmost among equals; what no piece covers becomes its UTF-8 bytes under byte fallback, else one
/// unknown piece per run. Control pieces (&lt;bos&gt;) are never matched in text. No BOS or EOS is added: PaliGemma's
/// prompt format places them itself. (Microsoft.ML.Tokenizers' SentencePieceTokenizer breaks ties between equal
/// merges the other way and emits an unknown piece per character: README, "Packages".)
/// </summary>
public sealed class SentencePieceText
{
    private readonly Dictionary<string, int> _normal = new(StringComparer.Ordinal), _user = new(StringComparer.Ordinal);
    private readonly int[] _bytes = Enumerable.Repeat(-1, 256).ToArray();
    private readonly int _unknown, _longestUser;

    public SentencePieceModel Model { get; }

    public SentencePieceText(SentencePieceModel model)
    {
        Model = model;
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            var p = model.Pieces[id];
            switch (p.Type)
            {
                case PieceType.Normal: _normal[p.Text] = id; break;
                case PieceType.UserDefined: _user[p.Text] = id; break;
                case PieceType.Unknown: _unknown = id; break;
                case PieceType.Byte: _bytes[Convert.ToInt32(p.Text[3..5], 16)] = id; break;
            }
        }
        _longestUser = _user.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max();
    }

    public static SentencePieceText Read(string path) => new(SentencePieceModel.Read(path));

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        var run = new StringBuilder();
        string s = text.Replace(" ", TokenizerJson.Space);
        for (int i = 0; i < s.Length;)
        {
            var user = MatchUser(s, i);
            if (user == null) { run.Append(s[i++]); continue; }
            Merge(run.ToString(), ids);
            run.Clear();
            ids.Add(_user[user]);
            i += user.Length;
        }
        Merge(run.ToString(), ids);
        return [.. ids];
    }

    private string? MatchUser(string s, int at)
    {
        for (int n = Math.Min(_longestUser, s.Length - at); n > 0; n--)
            if (_user.ContainsKey(s.Substring(at, n))) return s.Substring(at, n);
        return null;
    }

    /// <summary>BPE over one stretch of text between user-defined pieces.</summary>
    private void Merge(string text, List<int> ids)
    {
        if (text.Length == 0) return;
        var symbols = new List<string>();
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
            symbols.Add(text.Substring(i, char.IsSurrogatePair(text, i) ? 2 : 1));
        // scores[i]: the score of merging symbols i and i + 1 (-inf where no piece is their concatenation), kept up to date
        var scores = new List<float>(symbols.Count);
        for (int i = 0; i + 1 < symbols.Count; i++) scores.Add(PairScore(symbols, i));
        while (true)
        {
            int best = -1;
            float bestScore = float.NegativeInfinity;
            for (int i = 0; i < scores.Count; i++)
                if (scores[i] > bestScore) (best, bestScore) = (i, scores[i]); // the leftmost of equals
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
            scores.RemoveAt(best);
            if (best < scores.Count) scores[best] = PairScore(symbols, best);
            if (best > 0) scores[best - 1] = PairScore(symbols, best - 1);
        }
        foreach (var sym in symbols)
        {
            if (_normal.TryGetValue(sym, out var id)) ids.Add(id);
            else if (Model.ByteFallback) ids.AddRange(Encoding.UTF8.GetBytes(sym).Select(b => _bytes[b]));
            else if (ids.Count == 0 || ids[^1] != _unknown) ids.Add(_unknown);
        }
    }

    private float PairScore(List<string> symbols, int i) =>
        _normal.TryGetValue(symbols[i] + symbols[i + 1], out var id) ? Model.Pieces[id].Score : float.NegativeInfinity;

    /// <summary>
    /// The text of <paramref name="ids"/> as sentencepiece decodes it: control pieces left out, '▁' as a space, byte
    /// pieces joined into UTF-8, an unknown piece as " ⁇ ", or, with <paramref name="skipSpecial"/>, left out as
    /// transformers' decode(skip_special_tokens=True) leaves out every special token (user-defined pieces are kept).
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        var text = new StringBuilder();
        var pending = new List<byte>();
        void Flush() { if (pending.Count > 0) text.Append(Encoding.UTF8.GetString([.. pending])); pending.Clear(); }
        foreach (int id in ids)
        {
            if (id < 0 || id >= Model.Pieces.Count) continue;
            var p = Model.Pieces[id];
            if (p.Type == PieceType.Byte) { pending.Add(Convert.ToByte(p.Text[3..5], 16)); continue; }
            if (skipSpecial && p.Type == PieceType.Unknown) continue;
            Flush();
            text.Append(p.Type switch
            {
                PieceType.Control => "",
                PieceType.Unknown => " \u2047 ",
                _ => p.Text.Replace(TokenizerJson.Space, " "),
            });
        }
        Flush();
        return text.ToString();
    }
}
