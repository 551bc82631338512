using System.Text.Json.Nodes;
using PaliConvert.Formats;
using PaliConvert.Models;

namespace PaliConvert.Tests.Models;

/// <summary>The model description: read from config.json as transformers reads it, or from the release table.</summary>
public class ModelDescriptionTests
{
    private static PaliGemmaArch Describe(string folder)
    {
        using var ck = KeySpelling.Open(folder);
        return ArchDetector.Detect(ck);
    }

    [Fact]
    public void GoldenConfigsGiveEveryFactTransformersWrote()
    {
        var a = Describe(TestPaths.Golden("pg2-tiny/hf"));
        var d = a.Decoder;
        Assert.Equal((1e-6, 10000.0, Activation.GeluPytorchTanh, 16.0, 50.0, 30.0, 4096),
            (d.NormEps, d.RopeTheta, d.Activation, d.QueryPreAttnScalar, d.AttnSoftcap, d.FinalSoftcap, d.SlidingWindow));
        Assert.Equal([LayerType.Sliding, LayerType.Full], d.LayerTypes);
        Assert.Equal((300, 16, 1e-6, 4), (a.ImageTokenIndex, a.Vision.Tokens, a.Vision.NormEps, a.Vision.Heads));
        var g1 = Describe(TestPaths.Golden("pg1-tiny/hf")).Decoder;
        Assert.Equal((0.0, 0.0, 0, 16.0), (g1.AttnSoftcap, g1.FinalSoftcap, g1.SlidingWindow, g1.QueryPreAttnScalar));
    }

    [Theory]
    [InlineData("top-level rope_theta")]
    [InlineData("hidden_act only")]
    [InlineData("image_token_id")]
    [InlineData("defaults")]
    public void BothSpellingsAndTransformersDefaultsAreRead(string variant)
    {
        using var dir = new TempDir();
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"), c =>
        {
            switch (variant)
            {
                case "top-level rope_theta":
                    HfCopy.Set(c, "text_config.rope_parameters", null);
                    HfCopy.Set(c, "text_config.rope_theta", 500.0);
                    break;
                case "hidden_act only":
                    HfCopy.Set(c, "text_config.hidden_activation", null);
                    HfCopy.Set(c, "text_config.hidden_act", "gelu");
                    break;
                case "image_token_id":
                    HfCopy.Set(c, "image_token_index", null);
                    HfCopy.Set(c, "image_token_id", 299);
                    break;
                default:
                    foreach (var k in new[] { "rms_norm_eps", "rope_parameters", "query_pre_attn_scalar", "attn_logit_softcapping",
                        "sliding_window", "layer_types", "hidden_activation" })
                        HfCopy.Set(c, "text_config." + k, null);
                    HfCopy.Set(c, "vision_config.layer_norm_eps", null);
                    break;
            }
        });
        var a = Describe(folder);
        var d = a.Decoder;
        switch (variant)
        {
            case "top-level rope_theta": Assert.Equal(500.0, d.RopeTheta); break;
            case "hidden_act only": Assert.Equal(Activation.Gelu, d.Activation); break;
            case "image_token_id": Assert.Equal(299, a.ImageTokenIndex); break;
            default:
                // Gemma2Config's defaults: query_pre_attn_scalar 256, softcaps 50, window 4096, alternating layers
                Assert.Equal((1e-6, 10000.0, Activation.GeluPytorchTanh, 256.0, 50.0, 4096),
                    (d.NormEps, d.RopeTheta, d.Activation, d.QueryPreAttnScalar, d.AttnSoftcap, d.SlidingWindow));
                Assert.Equal([LayerType.Sliding, LayerType.Full], d.LayerTypes);
                break;
        }
    }

    public static TheoryData<string, string, string> BadValues() => new()
    {
        { "text_config.rope_parameters.rope_theta", "\"abc\"",
            "text_config.rope_parameters.rope_theta is \"abc\", expected a number above 0 and at most 1000000000000" },
        { "text_config.rms_norm_eps", "-1", "text_config.rms_norm_eps is -1, expected a number above 0 and at most 1" },
        { "text_config.rope_theta", "1e300", "text_config.rope_theta is 1e300, expected a number above 0 and at most 1000000000000" },
        { "text_config.attn_logit_softcapping", "1e308", "text_config.attn_logit_softcapping is 1e308, expected a number above 0" },
        { "text_config.query_pre_attn_scalar", "1e-300", "text_config.query_pre_attn_scalar is 1e-300, expected a number above 0.001" },
        { "text_config.attention_bias", "true", "text_config.attention_bias is true, but PaliGemma's attention has no biases" },
        { "projection_dim", "64", "projection_dim is 64 but text_config.hidden_size is 48" },
        { "vision_config.projection_dim", "64", "vision_config.projection_dim is 64 but text_config.hidden_size is 48" },
        { "text_config.num_attention_heads", "0", "text_config.num_attention_heads is 0, expected a positive integer" },
        { "text_config.head_dim", "16.5", "text_config.head_dim is 16.5, expected a positive integer" },
        { "text_config.num_key_value_heads", "3", "text_config.num_key_value_heads 3 does not divide text_config.num_attention_heads 4" },
        { "text_config", "[]", "text_config is [], expected an object" },
        { "text_config.hidden_activation", "\"relu\"", "text_config.hidden_activation 'relu' is not implemented" },
        { "text_config.hidden_act", "\"gelu\"",
            "text_config.hidden_activation 'gelu_pytorch_tanh' and text_config.hidden_act 'gelu' disagree" },
        { "vision_config.num_attention_heads", "3", "vision_config.num_attention_heads 3 does not divide vision_config.hidden_size 32" },
        { "vision_config.hidden_act", "\"swish\"", "vision_config.hidden_act 'swish' is not implemented" },
        { "image_token_index", "0", "image_token_index is 0, expected a positive integer" },
        { "image_token_index", "999", "image_token_index 999 lies beyond text_config.vocab_size 320" },
        { "text_config.layer_types", "[\"sliding_attention\", \"local\"]", "text_config.layer_types has 'local'" },
        { "text_config.layer_types", "[\"full_attention\"]", "text_config.layer_types has 1 entries for 2 layers" },
        { "text_config.rope_parameters.rope_type", "\"linear\"",
            "text_config.rope_parameters.rope_type is 'linear'; only default RoPE is implemented" },
        { "text_config.model_type", "\"llama\"", "text_config.model_type is 'llama'" },
        { "text_config.sliding_window", "true", "text_config.sliding_window is true, expected a positive integer" },
        { "text_config.query_pre_attn_scalar", "1e400", "text_config.query_pre_attn_scalar is 1e400, expected a number above 0.001 and" },
    };

    [Theory, MemberData(nameof(BadValues))]
    public void BadValuesAreRefusedNamingFileKeyAndValue(string key, string json, string expected)
    {
        using var dir = new TempDir();
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"));
        string config = Path.Combine(folder, "config.json");
        var root = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        HfCopy.Set(root, key, JsonNode.Parse("0"));
        File.WriteAllText(config, root.ToJsonString().Replace($"\"{key.Split('.')[^1]}\":0", $"\"{key.Split('.')[^1]}\":{json}"));
        var e = Assert.Throws<BadInputException>(() => Describe(folder));
        Assert.Contains(config, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ReleasedShapesTakeTheTableAndOthersListWhatIsAssumed()
    {
        using var ck = KeySpelling.Open(TestPaths.Golden("pg2-tiny/params.f32.npz"));
        var guessed = ArchDetector.Detect(ck);
        Assert.Equal("big_vision's defaults", guessed.FactsSource);
        Assert.Contains(guessed.Assumed, s => s == "text_config.query_pre_attn_scalar 16");
        Assert.Contains(guessed.Assumed, s => s == "text_config.rope_theta 10000");

        var stated = ArchDetector.Detect(ck, new StatedFacts(QueryPreAttnScalar: 12, AttnSoftcap: 0));
        Assert.Equal((12.0, 0.0), (stated.Decoder.QueryPreAttnScalar, stated.Decoder.AttnSoftcap));
        Assert.DoesNotContain(stated.Assumed, s => s.StartsWith("text_config.query_pre_attn_scalar")
            || s.StartsWith("text_config.attn_logit"));

        var fromConfig = ArchDetector.Detect(ck, new StatedFacts(ConfigFile: TestPaths.Golden("pg2-tiny/hf/config.json")));
        Assert.Empty(fromConfig.Assumed);
        Assert.Equal(Describe(TestPaths.Golden("pg2-tiny/hf")).Facts().Where(f => f.key != "text_config.vocab_size"), fromConfig.Facts());
    }

    [Fact]
    public void AConfigOfTheOtherFamilyIsRefusedAsStatedFacts()
    {
        using var ck = KeySpelling.Open(TestPaths.Golden("pg2-tiny/params.f32.npz"));
        var e = Assert.Throws<BadInputException>(() => ArchDetector.Detect(ck,
            new StatedFacts(ConfigFile: TestPaths.Golden("pg1-tiny/hf/config.json"))));
        Assert.Contains("describes a Gemma decoder, but the checkpoint's is Gemma 2", e.Message);
    }
}
