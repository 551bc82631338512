using System.Text.Json;

namespace PaliConvert.Models;

/// <summary>config.json and generation_config.json as transformers 5.17 writes them for PaliGemma (PALIGEMMA.md).</summary>
public static class HfConfigWriter
{
    public static string Build(PaliGemmaArch a, long vocab, string dtype)
    {
        var d = a.Decoder;
        var v = a.Vision;
        var text = new Dictionary<string, object?>
        {
            ["model_type"] = a.Family == 2 ? "gemma2" : "gemma",
            ["vocab_size"] = vocab, ["hidden_size"] = d.Width, ["intermediate_size"] = d.Mlp,
            ["num_hidden_layers"] = d.Layers, ["num_attention_heads"] = d.Heads, ["num_key_value_heads"] = d.KvHeads,
            ["head_dim"] = d.HeadDim, ["hidden_activation"] = d.Activation, ["rms_norm_eps"] = d.NormEps,
            ["num_image_tokens"] = v.Tokens, ["max_position_embeddings"] = 8192,
            ["bos_token_id"] = 2, ["eos_token_id"] = 1, ["pad_token_id"] = 0, ["tie_word_embeddings"] = true,
            ["attention_bias"] = false, ["attention_dropout"] = 0.0, ["initializer_range"] = 0.02, ["use_cache"] = true,
            ["rope_parameters"] = new Dictionary<string, object> { ["rope_theta"] = d.RopeTheta, ["rope_type"] = "default" },
            ["use_bidirectional_attention"] = true, // the prefix is attended both ways (PaliGemma's prefix-LM)
            ["dtype"] = dtype,
        };
        if (a.Family == 1) text["hidden_act"] = d.Activation; // transformers' Gemma reads both names
        if (a.Family == 2)
        {
            text["query_pre_attn_scalar"] = d.QueryPreAttnScalar;
            text["attn_logit_softcapping"] = d.AttnSoftcap > 0 ? d.AttnSoftcap : null;
            text["final_logit_softcapping"] = d.FinalSoftcap > 0 ? d.FinalSoftcap : null;
            text["sliding_window"] = d.SlidingWindow > 0 ? d.SlidingWindow : null;
            text["layer_types"] = d.LayerTypes.ToArray();
        }
        var vision = new Dictionary<string, object?>
        {
            ["model_type"] = "siglip_vision_model", ["hidden_size"] = v.Width, ["intermediate_size"] = v.Mlp,
            ["num_hidden_layers"] = v.Layers, ["num_attention_heads"] = v.Heads, ["patch_size"] = v.Patch,
            ["image_size"] = v.ImageSize, ["projection_dim"] = d.Width, ["num_image_tokens"] = v.Tokens,
            ["hidden_act"] = v.Activation, ["layer_norm_eps"] = v.NormEps, ["vision_use_head"] = false,
            ["num_channels"] = 3, ["attention_dropout"] = 0.0, ["dtype"] = dtype,
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
