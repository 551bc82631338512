using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PaliConvert.Models;

/// <summary>
/// config.json and generation_config.json as transformers 5.17 writes them for PaliGemma (docs/PALIGEMMA.md). Its configs
/// are strict dataclasses: a key typed float refuses a JSON integer (final_logit_softcapping 30) and one typed int
/// refuses a fraction, so every number is written in its declared type.
/// </summary>
public static class HfConfigWriter
{
    /// <summary>A JSON number Python reads as a float: always with a point or an exponent.</summary>
    private static JsonNode Float(double v)
    {
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        return JsonNode.Parse(s.Contains('.') || s.Contains('E') ? s : s + ".0")!;
    }

    /// <summary>transformers' Gemma2Config types query_pre_attn_scalar as int.</summary>
    private static long Integer(double v, string key) => v == Math.Floor(v) && v > 0 ? (long)v
        : throw new BadInputException(key, $"config.json: {key} {v:G} is not a positive integer, which transformers' " +
            "Gemma2Config requires; state a whole number");

    public static string Build(PaliGemmaArch a, long vocab, string dtype)
    {
        var d = a.Decoder;
        var v = a.Vision;
        var text = new Dictionary<string, object?>
        {
            ["model_type"] = a.Family.ModelType(),
            ["vocab_size"] = vocab, ["hidden_size"] = d.Width, ["intermediate_size"] = d.Mlp,
            ["num_hidden_layers"] = d.Layers, ["num_attention_heads"] = d.Heads, ["num_key_value_heads"] = d.KvHeads,
            ["head_dim"] = d.HeadDim, ["hidden_activation"] = d.Activation.Name(), ["rms_norm_eps"] = Float(d.NormEps),
            ["num_image_tokens"] = v.Tokens, ["max_position_embeddings"] = 8192,
            ["bos_token_id"] = 2, ["eos_token_id"] = 1, ["pad_token_id"] = 0, ["tie_word_embeddings"] = true,
            ["attention_bias"] = false, ["attention_dropout"] = Float(0), ["initializer_range"] = Float(0.02), ["use_cache"] = true,
            ["rope_parameters"] = new Dictionary<string, object> { ["rope_theta"] = Float(d.RopeTheta), ["rope_type"] = "default" },
            ["use_bidirectional_attention"] = true, // the prefix is attended both ways (PaliGemma's prefix-LM)
            ["dtype"] = dtype,
        };
        if (a.Family == GemmaFamily.Gemma) text["hidden_act"] = d.Activation.Name(); // transformers' Gemma reads both names
        if (a.Family == GemmaFamily.Gemma2)
        {
            text["query_pre_attn_scalar"] = Integer(d.QueryPreAttnScalar, "text_config.query_pre_attn_scalar");
            text["attn_logit_softcapping"] = d.AttnSoftcap > 0 ? Float(d.AttnSoftcap) : null;
            text["final_logit_softcapping"] = d.FinalSoftcap > 0 ? Float(d.FinalSoftcap) : null;
            text["sliding_window"] = d.SlidingWindow > 0 ? d.SlidingWindow : null;
            text["layer_types"] = d.LayerTypes.Select(t => t.Name()).ToArray();
        }
        var vision = new Dictionary<string, object?>
        {
            ["model_type"] = "siglip_vision_model", ["hidden_size"] = v.Width, ["intermediate_size"] = v.Mlp,
            ["num_hidden_layers"] = v.Layers, ["num_attention_heads"] = v.Heads, ["patch_size"] = v.Patch,
            ["image_size"] = v.ImageSize, ["projection_dim"] = d.Width, ["num_image_tokens"] = v.Tokens,
            ["hidden_act"] = v.Activation.Name(), ["layer_norm_eps"] = Float(v.NormEps), ["vision_use_head"] = false,
            ["num_channels"] = 3, ["attention_dropout"] = Float(0), ["dtype"] = dtype,
        };
        var root = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "PaliGemmaForConditionalGeneration" }, ["model_type"] = "paligemma",
            ["image_token_index"] = a.ImageTokenIndex, ["projection_dim"] = d.Width, ["hidden_size"] = d.Width,
            ["bos_token_id"] = 2, ["eos_token_id"] = 1, ["pad_token_id"] = 0, ["tie_word_embeddings"] = true,
            ["dtype"] = dtype, ["text_config"] = text, ["vision_config"] = vision,
        };
        return JsonSerializer.Serialize(root, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public const string GenerationConfig = "{\n  \"bos_token_id\": 2,\n  \"eos_token_id\": 1,\n  \"pad_token_id\": 0\n}\n";
}
