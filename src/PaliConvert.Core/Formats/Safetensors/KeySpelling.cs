namespace PaliConvert.Formats.Safetensors;

/// <summary>
/// Hugging Face PaliGemma keys come in two spellings: the hub's (language_model.model.*, vision_tower.vision_model.*),
/// which transformers also writes on save, and transformers' in-memory one (model.language_model.*, model.vision_tower.*),
/// which some tools save. Readers present the hub spelling.
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

    /// <summary>The hub spelling of <paramref name="key"/>, and whether it had to be changed.</summary>
    public static (string key, bool renamed) ToHub(string key)
    {
        foreach (var (from, to) in Prefixes)
            if (key.StartsWith(from, StringComparison.Ordinal)) return (to + key[from.Length..], true);
        return (key, false);
    }
}
