using System.Text.Json.Serialization;

namespace PaliConvert.Models;

/// <summary>A Gemma 2 decoder layer's attention: within the sliding window, or over the whole sequence.</summary>
public enum LayerType
{
    [JsonStringEnumMemberName("sliding_attention")] Sliding,
    [JsonStringEnumMemberName("full_attention")] Full,
}

public static class LayerTypeNames
{
    /// <summary>text_config.layer_types' spelling.</summary>
    public static string Name(this LayerType t) => EnumNames.Of(t);

    public static LayerType? Parse(string name) => EnumNames.Parse<LayerType>(name);

    /// <summary>Gemma 2's default: layer 0 sliding, then alternating (transformers and big_vision agree).</summary>
    public static LayerType[] Alternating(int layers) =>
        Enumerable.Range(0, layers).Select(i => i % 2 == 0 ? LayerType.Sliding : LayerType.Full).ToArray();
}
