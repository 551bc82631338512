using System.Text.Json.Nodes;
using PaliConvert.Formats;
using PaliConvert.Models;

namespace PaliConvert.Tests.Models;

/// <summary>The one fact table: its figures against transformers' own configs, its cross-checks and its guessed facts.</summary>
public class FactTableTests
{
    private static JsonNode? At(JsonNode root, string key) => key.Split('.').Aggregate((JsonNode?)root, (n, p) => n?[p]);

    [Theory]
    [InlineData("pg1-tiny")]
    [InlineData("pg2-tiny")]
    public void EveryQuantityIsTheNumberTransformersWrote(string model)
    {
        string path = TestPaths.Golden($"{model}/hf/config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var arch = HfConfigFile.Read(path).Arch;
        var stated = FactTable.Quantities.Where(f => At(json, f.Key) != null).ToList();
        Assert.True(stated.Count >= 11, string.Join(", ", stated.Select(f => f.Key)));
        foreach (var f in stated) Assert.True(At(json, f.Key)!.GetValue<long>() == f.Quantity!(arch), f.Key);
        foreach (var f in FactTable.All.Where(f => f.Listed && At(json, f.Key) is JsonValue))
        {
            var v = At(json, f.Key)!.AsValue();
            string text = v.TryGetValue<string>(out var s) ? s
                : v.GetValue<double>().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(text == f.Text(arch), $"{f.Key}: {text} in config.json, {f.Text(arch)} in the table");
        }
    }

    /// <summary>A value for <paramref name="key"/> that the tensors contradict and config.json's own checks accept.</summary>
    private static JsonNode Contradiction(string key, JsonNode old) => key switch
    {
        "text_config.model_type" => "gemma",
        "text_config.num_key_value_heads" => 4,
        "vision_config.image_size" => old.GetValue<int>() + 14,
        "vision_config.patch_size" => 7,
        _ => old.GetValue<int>() * 2,
    };

    [Fact]
    public void EveryShownFactIsCheckedAgainstTheTensorsAndNamed()
    {
        var shown = FactTable.Shown.Select(f => f.Key).ToList();
        Assert.Equal(12, shown.Count);
        foreach (var key in shown)
        {
            using var dir = new TempDir();
            var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"), c =>
            {
                HfCopy.Set(c, key, Contradiction(key, At(c, key)!));
                if (key == "text_config.num_hidden_layers") HfCopy.Set(c, "text_config.layer_types", null); // the default fits any count
                if (key == "text_config.hidden_size") // keys that restate the width move with it, as in a consistent config
                    foreach (var k in new[] { "projection_dim", "hidden_size", "vision_config.projection_dim" })
                        if (At(c, k) != null) HfCopy.Set(c, k, At(c, key)!.DeepClone());
            });
            using var ck = KeySpelling.Open(folder);
            var e = Assert.Throws<BadInputException>(() => ArchDetector.Detect(ck));
            Assert.Equal(key, e.Item);
            Assert.Contains($"contradicts the tensors: {key} ", e.Message);
        }
    }

    [Theory]
    [InlineData("pg1-tiny", "vision_config.layer_norm_eps,vision_config.hidden_act,text_config.rms_norm_eps,text_config.rope_theta," +
        "text_config.hidden_activation")]
    [InlineData("pg2-tiny", "vision_config.layer_norm_eps,vision_config.hidden_act,text_config.rms_norm_eps,text_config.rope_theta," +
        "text_config.hidden_activation,text_config.query_pre_attn_scalar,text_config.attn_logit_softcapping," +
        "text_config.final_logit_softcapping,text_config.sliding_window,text_config.layer_types")]
    public void ABigVisionCheckpointOfNoReleaseAssumesExactlyTheFactsItCannotShow(string model, string keys)
    {
        using var ck = KeySpelling.Open(TestPaths.Golden($"{model}/params.f32.npz"));
        var arch = ArchDetector.Detect(ck);
        Assert.Equal(keys.Split(','), arch.Assumed.Select(s => s[..s.IndexOf(' ')]));
    }
}
