using PaliConvert.Formats;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Tensors;

namespace PaliConvert.Models;

/// <summary>
/// Hugging Face PaliGemma keys come in two spellings: the hub's (language_model.model.*, vision_tower.vision_model.*),
/// which transformers also writes on save, and transformers' in-memory one (model.language_model.*, model.vision_tower.*),
/// which some tools save. Models are opened with the hub spelling.
/// </summary>
public static class KeySpelling
{
    public const string Hub = "hub", InMemory = "transformers-in-memory", Mixed = "mixed";

    private static readonly (string from, string to)[] Prefixes =
    [
        ("model.language_model.", "language_model.model."),
        ("model.vision_tower.vision_model.", "vision_tower.vision_model."),
        ("model.vision_tower.", "vision_tower.vision_model."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
        ("lm_head.", "language_model.lm_head."),
    ];

    /// <summary>The hub spelling of <paramref name="key"/>.</summary>
    public static string ToHub(string key)
    {
        foreach (var (from, to) in Prefixes)
            if (key.StartsWith(from, StringComparison.Ordinal)) return to + key[from.Length..];
        return key;
    }

    /// <summary>transformers' in-memory spelling (4.52 on) of a hub-spelt key.</summary>
    public static string ToInMemory(string key)
    {
        foreach (var (from, to) in Prefixes.Where(p => p.from != "model.vision_tower."))
            if (key.StartsWith(to, StringComparison.Ordinal)) return from + key[to.Length..];
        return key;
    }

    /// <summary>Any checkpoint, its Hugging Face keys in the hub spelling.</summary>
    public static Checkpoint Open(string path) => CheckpointReader.Open(path, ToHub);

    /// <summary>A Hugging Face file or folder, its keys in the hub spelling.</summary>
    public static SafetensorsCheckpoint OpenHf(string path) => SafetensorsCheckpoint.Open(path, ToHub);

    /// <summary>The spelling the file used.</summary>
    public static string Of(SafetensorsCheckpoint ck) =>
        ck.Renamed == 0 ? Hub : ck.Renamed == ck.Tensors.Count ? InMemory : Mixed;
}
