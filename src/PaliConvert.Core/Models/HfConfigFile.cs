using System.Text.Json;

namespace PaliConvert.Models;

/// <summary>The fields of a PaliGemma config.json that conversion relies on.</summary>
public sealed record HfConfigFile(
    string Path, string TextModelType, int Vocab, int ImageTokenIndex, int HeadDim, int Heads, int KvHeads, int Layers, int Width,
    int? VisionHeads, int? ImageSize)
{
    public static HfConfigFile? TryRead(string folder)
    {
        string path = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return null;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON: {e.Message}"); }
        using var _ = doc;
        var root = doc.RootElement;
        if (!root.TryGetProperty("text_config", out var t)) throw new InvalidDataException($"{path}: no text_config; is this a PaliGemma config?");
        int I(JsonElement e, string section, string n) =>
            e.TryGetProperty(n, out var v) && v.TryGetInt32(out var x) ? x : throw new InvalidDataException($"{path}: {section} has no integer '{n}'");
        int? Opt(JsonElement e, string n) => e.TryGetProperty(n, out var v) && v.TryGetInt32(out var x) ? x : null;
        root.TryGetProperty("vision_config", out var vc);
        return new HfConfigFile(path,
            t.TryGetProperty("model_type", out var mt) ? mt.GetString() ?? "" : "",
            I(t, "text_config", "vocab_size"), I(root, "config", "image_token_index"), I(t, "text_config", "head_dim"),
            I(t, "text_config", "num_attention_heads"), I(t, "text_config", "num_key_value_heads"),
            I(t, "text_config", "num_hidden_layers"), I(t, "text_config", "hidden_size"),
            vc.ValueKind == JsonValueKind.Object ? Opt(vc, "num_attention_heads") : null,
            vc.ValueKind == JsonValueKind.Object ? Opt(vc, "image_size") : null);
    }
}
