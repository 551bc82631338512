using System.Text.Json.Serialization;

namespace PaliConvert.Models;

/// <summary>
/// The decoder's family, named by text_config.model_type: Gemma (PaliGemma) or Gemma 2 (PaliGemma 2). The value is a
/// rule file's <c>family</c>, and what reports print.
/// </summary>
public enum GemmaFamily
{
    [JsonStringEnumMemberName("gemma")] Gemma = 1,
    [JsonStringEnumMemberName("gemma2")] Gemma2 = 2,
}

public static class GemmaFamilyNames
{
    /// <summary>text_config.model_type.</summary>
    public static string ModelType(this GemmaFamily f) => EnumNames.Of(f);

    public static string Label(this GemmaFamily f) => f == GemmaFamily.Gemma2 ? "Gemma 2" : "Gemma";

    /// <summary>The family a model_type names, or null for another decoder.</summary>
    public static GemmaFamily? FromModelType(string type) => EnumNames.Parse<GemmaFamily>(type);
}
