using System.Text.RegularExpressions;

namespace PaliConvert.Models;

/// <summary>
/// Where a tensor name carries a layer index: big_vision's unstacked 'encoderblock_3' / 'layers_3', or HF's
/// '.layers.3.'. Stacked big_vision tensors carry it on axis 0 instead (see <see cref="IsStacked"/>).
/// </summary>
public static partial class LayerNames
{
    [GeneratedRegex(@"(?<=^|/)(encoderblock|layers)_(\d+)(?=/)")]
    private static partial Regex BigVisionIndexed();

    [GeneratedRegex(@"\.layers\.(\d+)\.")]
    private static partial Regex HfIndexed();

    /// <summary>The name with its layer index replaced by a placeholder, and the index (or -1).</summary>
    public static (string template, int layer) Split(string name)
    {
        var m = BigVisionIndexed().Match(name);
        if (m.Success) return (name[..m.Index] + m.Groups[1].Value + "_{i}" + name[(m.Index + m.Length)..], int.Parse(m.Groups[2].Value));
        m = HfIndexed().Match(name);
        if (m.Success) return (name[..m.Index] + ".layers.{i}." + name[(m.Index + m.Length)..], int.Parse(m.Groups[1].Value));
        return (name, -1);
    }

    /// <summary>The name layer <paramref name="i"/> of a stacked big_vision tensor has when saved without nn.scan.</summary>
    public static string Unstacked(string stackedName, int i) =>
        stackedName.Replace(BigVisionNames.Encoder, $"{BigVisionNames.Encoder.TrimEnd('/')}_{i}/")
            .Replace(BigVisionNames.Decoder, $"{BigVisionNames.Decoder.TrimEnd('/')}_{i}/");

    /// <summary>big_vision names whose axis 0 is the layer axis (nn.scan).</summary>
    public static bool IsStacked(string name) =>
        name.StartsWith(BigVisionNames.Encoder, StringComparison.Ordinal) ||
        name.StartsWith(BigVisionNames.Decoder, StringComparison.Ordinal);

    /// <summary>A coarse module for parameter counts, the same for both namings.</summary>
    public static string ModuleOf(string name)
    {
        if (name.StartsWith("img/embedding", StringComparison.Ordinal) || name.StartsWith("img/pos_embedding", StringComparison.Ordinal) ||
            name.Contains("vision_model.embeddings.", StringComparison.Ordinal)) return "vision.embeddings";
        if (name.StartsWith("img/Transformer/encoderblock", StringComparison.Ordinal)
            || name.Contains("vision_model.encoder.", StringComparison.Ordinal)) return "vision.encoder";
        if (name.StartsWith("img/Transformer/encoder_norm", StringComparison.Ordinal)
            || name.Contains("vision_model.post_layernorm", StringComparison.Ordinal)) return "vision.post_norm";
        if (name.StartsWith("img/head", StringComparison.Ordinal) || name.StartsWith("multi_modal_projector.", StringComparison.Ordinal))
            return "projector";
        if (name.StartsWith("llm/embedder", StringComparison.Ordinal) || name.EndsWith("embed_tokens.weight", StringComparison.Ordinal))
            return "decoder.embed_tokens";
        if (name.StartsWith("llm/layers", StringComparison.Ordinal)
            || name.StartsWith("language_model.model.layers.", StringComparison.Ordinal)) return "decoder.layers";
        if (name.StartsWith("llm/final_norm", StringComparison.Ordinal) || name == "language_model.model.norm.weight")
            return "decoder.final_norm";
        if (name.Contains("lm_head", StringComparison.Ordinal)) return "lm_head";
        return "other";
    }

    /// <summary>A finer group for diff summaries: 'llm/layers/attn', 'language_model.model.layers.*.self_attn'.</summary>
    public static string GroupOf(string name)
    {
        var (template, _) = Split(name);
        if (template.Contains('/'))
        {
            var parts = template.Split('/');
            return string.Join('/', parts.Take(Math.Min(3, Math.Max(1, parts.Length - 1))));
        }
        var dots = template.Replace("{i}", "*").Split('.');
        return string.Join('.', dots.Take(Math.Max(1, dots.Length - 2)));
    }
}
