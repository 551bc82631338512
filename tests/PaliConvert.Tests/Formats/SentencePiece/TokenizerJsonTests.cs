using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PaliConvert.Formats.SentencePiece;

namespace PaliConvert.Tests.Formats.SentencePiece;

/// <summary>
/// tokenizer.json against sentencepiece itself: tiny BPE models trained here with Gemma's settings (python3-sentencepiece,
/// nothing downloaded), converted, and read by transformers.js's tokenizer, which must give sentencepiece's ids and text.
/// </summary>
public class TokenizerJsonTests
{
    private static readonly string[] Words =
        "the quick brown fox jumps over lazy dog image caption answer question where what color red green blue".Split(' ');
    private static readonly string[] Other =
        ["日本語", "中文字符", "한국어", "テキスト", "😀", "👍🏽", "🎉", "0", "42", "2026"];

    /// <summary>A corpus of words, CJK, emoji and digits with whitespace runs; ASCII only for a small alphabet.</summary>
    internal static string Corpus(TempDir dir, bool asciiOnly, int seed = 1)
    {
        var rng = new Random(seed);
        var lines = Enumerable.Range(0, 3000).Select(_ => string.Join(new[] { " ", " ", "  ", "   ", "\t" }[rng.Next(5)],
            Enumerable.Range(0, rng.Next(3, 12)).Select(_ => asciiOnly || rng.Next(4) > 0 ? Words[rng.Next(Words.Length)]
                : Other[rng.Next(Other.Length)])));
        string path = dir.File($"corpus-{asciiOnly}.txt");
        File.WriteAllText(path, string.Join("\n", lines), new UTF8Encoding(false));
        return path;
    }

    internal static string Train(TempDir dir, string corpus, string name, int vocab, bool byteFallback, string normalizer = "identity",
        string userSymbols = "")
    {
        TestPaths.Python("spm_oracle.py", "train", corpus, dir.File(name), vocab.ToString(), byteFallback ? "1" : "0", normalizer,
            userSymbols);
        return dir.File(name + ".model");
    }

    /// <summary>A few hundred strings: ASCII, CJK, emoji, newlines, whitespace runs, digits, bytes no piece covers.</summary>
    internal static List<string> Strings()
    {
        var rng = new Random(7);
        string[] fragments =
            [.. Words, .. Other, " ", "  ", "    ", "\n", "\n\n", "\t", "Ω", "🜁", "é", "ñ", "?", "!", ",", "12345", "x"];
        var list = new List<string> { "", " ", "a", "   leading", "trailing   ", "line\nbreak", "emoji 😀👍🏽 and Ω" };
        for (int i = 0; i < 300; i++)
            list.Add(string.Concat(Enumerable.Range(0, rng.Next(1, 9)).Select(_ => fragments[rng.Next(fragments.Length)])));
        return list;
    }

    private static JsonArray Tokenize(TempDir dir, string folder, string strings)
    {
        string output = dir.File($"{Path.GetFileName(folder)}-out.json");
        NodeScript.Run("tokenize.mjs", folder, strings, output);
        return JsonNode.Parse(File.ReadAllText(output))!.AsArray();
    }

    [Theory]
    [InlineData(true, 500), InlineData(false, 200)]
    public void TransformersJsGivesSentencePiecesIdsAndText(bool byteFallback, int vocab)
    {
        using var dir = new TempDir();
        string model = Train(dir, Corpus(dir, asciiOnly: false), $"sp{vocab}", vocab, byteFallback);
        string folder = dir.File($"tok{vocab}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerJson.Build(SentencePieceModel.Read(model), []));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"tokenizer_class": "GemmaTokenizer", "clean_up_tokenization_spaces": false}""");
        var strings = Strings();
        string stringsFile = dir.File("strings.json");
        File.WriteAllText(stringsFile, JsonSerializer.Serialize(strings), new UTF8Encoding(false));
        var expected = JsonNode.Parse(TestPaths.Python("spm_oracle.py", "encode", model, stringsFile))!.AsArray();
        var actual = Tokenize(dir, folder, stringsFile);
        int unknown = 0;
        for (int i = 0; i < strings.Count; i++)
        {
            var want = expected[i]!["ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
            var got = actual[i]!["ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
            Assert.True(want.SequenceEqual(got),
                $"'{strings[i]}': sentencepiece [{string.Join(",", want)}], transformers.js [{string.Join(",", got)}]");
            // sentencepiece decodes <unk> as ' ⁇ ', tokenizers as '<unk>': text is compared where no piece is unknown
            if (want.Contains(3)) { unknown++; continue; }
            Assert.Equal(expected[i]!["decoded"]!.GetValue<string>(), actual[i]!["decoded"]!.GetValue<string>());
        }
        if (byteFallback) Assert.Equal(0, unknown);
        else Assert.True(unknown > 0, "the strings should reach unknown characters without byte fallback");
    }

    [Theory]
    [InlineData("nmt_nfkc", "normalizer 'nmt_nfkc'")]
    public void SettingsTokenizerJsonCannotReproduceAreRefusedByName(string normalizer, string expected)
    {
        using var dir = new TempDir();
        string model = Train(dir, Corpus(dir, asciiOnly: true), "nfkc", 120, byteFallback: false, normalizer);
        var e = Assert.Throws<BadInputException>(() => TokenizerJson.Build(SentencePieceModel.Read(model), []));
        Assert.Contains(model, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("truncated"), InlineData("text"), InlineData("empty")]
    public void DamagedModelFilesAreRefusedNamingTheFile(string damage)
    {
        using var dir = new TempDir();
        string model = Train(dir, Corpus(dir, asciiOnly: true), "good", 120, byteFallback: false);
        var bytes = File.ReadAllBytes(model);
        string bad = dir.File("bad.model");
        File.WriteAllBytes(bad, damage switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "text" => Encoding.UTF8.GetBytes("this is not a protobuf"),
            _ => [],
        });
        var e = Assert.Throws<BadInputException>(() => SentencePieceModel.Read(bad));
        Assert.Contains(bad, e.Message);
    }
}
