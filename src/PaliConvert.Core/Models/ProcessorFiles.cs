using System.Text.Json;
using System.Text.Json.Nodes;
using PaliConvert.Formats.SentencePiece;

namespace PaliConvert.Models;

/// <summary>
/// The files PaliGemmaProcessor loads (transformers, transformers.js): the tokenizer in both forms (tokenizer.model,
/// tokenizer.json), its config and special tokens, and the SigLIP image processor at the model's image size, with
/// &lt;image&gt; at image_token_index.
/// </summary>
public static class ProcessorFiles
{
    public const string TokenizerModel = "tokenizer.model";
    public static readonly string[] Names =
        [TokenizerModel, "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Every file from a SentencePiece model, checked and built now (before a long export, so that a wrong tokenizer stops
    /// it at once), written into a folder by the action returned. A model whose size is not the model's vocabulary, or
    /// whose special ids are missing, is refused.
    /// </summary>
    public static Action<string> Prepare(string sentencePiece, PaliGemmaArch arch)
    {
        var sp = SentencePieceModel.Read(sentencePiece);
        if (sp.Pieces.Count != arch.ImageTokenIndex)
            throw new BadInputException(sentencePiece, $"{sentencePiece}: the tokenizer has {sp.Pieces.Count} pieces but the model's " +
                $"text vocabulary " +
                $"is {arch.ImageTokenIndex} (<image> is token {arch.ImageTokenIndex}); it is another model's tokenizer");
        var t = sp.Trainer;
        string Token(int id, string what) => sp.Pieces[sp.Id(id, what)].Text;
        var special = new JsonObject
        {
            ["bos_token"] = Token(t.BosId, "bos"), ["eos_token"] = Token(t.EosId, "eos"), ["pad_token"] = Token(t.PadId, "pad"),
            ["unk_token"] = Token(t.UnkId, "unk"), ["additional_special_tokens"] = new JsonArray("<image>"),
        };
        string json = TokenizerJson.Build(sp, [("<image>", arch.ImageTokenIndex)]);
        return folder => Write(folder, sp, json, special, arch);
    }

    private static void Write(string folder, SentencePieceModel sp, string tokenizerJson, JsonObject special, PaliGemmaArch arch)
    {
        File.WriteAllBytes(Path.Combine(folder, TokenizerModel), sp.Bytes.ToArray());
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizerJson);
        var config = special.DeepClone().AsObject();
        config["add_bos_token"] = false; // PaliGemmaProcessor places <bos> after the image tokens itself
        config["add_eos_token"] = false;
        config["clean_up_tokenization_spaces"] = false;
        config["spaces_between_special_tokens"] = false;
        config["tokenizer_class"] = "GemmaTokenizer";
        config["processor_class"] = "PaliGemmaProcessor";
        Json(folder, "tokenizer_config.json", config);
        Json(folder, "special_tokens_map.json", special);
        int px = arch.Vision.ImageSize;
        Json(folder, "preprocessor_config.json", new JsonObject
        {
            ["image_processor_type"] = "SiglipImageProcessor", ["processor_class"] = "PaliGemmaProcessor",
            ["image_seq_length"] = arch.Vision.Tokens, ["size"] = new JsonObject { ["height"] = px, ["width"] = px },
            ["do_resize"] = true, ["resample"] = 3, ["do_rescale"] = true, ["rescale_factor"] = 1 / 255.0,
            ["do_normalize"] = true, ["image_mean"] = new JsonArray(0.5, 0.5, 0.5), ["image_std"] = new JsonArray(0.5, 0.5, 0.5),
            ["do_convert_rgb"] = true,
        });
    }

    /// <summary>
    /// Copies the processor files an existing folder has (a converted folder carries them through), each read as what it
    /// claims to be first (a SentencePiece model, JSON objects, tokenizer.json with a model), so that no other bytes are
    /// carried into an output.
    /// </summary>
    public static void CopyFrom(string? source, string folder)
    {
        if (source == null || !File.Exists(Path.Combine(source, "tokenizer.json"))) return;
        foreach (var name in Names)
        {
            string from = Path.Combine(source, name);
            if (!File.Exists(from)) continue;
            File.WriteAllBytes(Path.Combine(folder, name), Checked(from).ToArray());
        }
    }

    /// <summary>A processor file's bytes, once they parse as what its name says.</summary>
    public static ReadOnlyMemory<byte> Checked(string path)
    {
        if (Path.GetFileName(path) == TokenizerModel) return SentencePieceModel.Read(path).Bytes;
        var bytes = Formats.JsonText.Checked(path);
        if (Path.GetFileName(path) != "tokenizer.json") return bytes;
        using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
        return doc.RootElement.TryGetProperty("model", out _) ? bytes
            : throw new BadInputException(path, $"{path}: has no 'model', so it is not a Hugging Face tokenizer", "model");
    }

    private static void Json(string folder, string name, JsonNode node) =>
        File.WriteAllText(Path.Combine(folder, name), node.ToJsonString(Indented) + "\n");
}
