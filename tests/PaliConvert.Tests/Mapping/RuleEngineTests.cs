using PaliConvert.Formats.Npz;
using PaliConvert.Mapping;
using PaliConvert.Models;

namespace PaliConvert.Tests.Mapping;

public class RuleEngineTests
{
    /// <summary>The size symbols the test rules use, declared as a rule file declares them.</summary>
    internal const string Sizes = """
        sizes: {W: text_config.hidden_size, L: text_config.num_hidden_layers, N: text_config.num_attention_heads,
                K: text_config.num_key_value_heads, H: text_config.head_dim}
        """;

    private static string Apply(string yaml, string model = "pg2-tiny") => Refusal(yaml, model)?.Message ?? "";

    /// <summary>The rules applied to a golden checkpoint: null, or a refusal of one of PaliConvert's kinds.</summary>
    private static PaliConvertException? Refusal(string yaml, string model = "pg2-tiny")
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.yaml"), Sizes + "\n" + yaml);
        using var ck = NpzCheckpoint.Open(TestPaths.Golden($"{model}/params.f32.npz"));
        var arch = ArchDetector.Detect(ck);
        var e = Record.Exception(() =>
        {
            var rules = RuleFile.Load(dir.File("r.yaml"));
            RuleEngine.Apply(rules, ck, rules.Symbols(Quantities.Of(arch, 300, 320)));
        });
        Assert.True(e is null or PaliConvertException, e?.ToString());
        return (PaliConvertException?)e;
    }

    private const string Skip = "skip: [img/embedding/bias, img/embedding/kernel, img/pos_embedding, img/head/kernel, img/head/bias, " +
        "llm/final_norm/scale]";

    [Fact]
    public void TargetProducedTwiceIsNamed()
    {
        var error = Apply("""
            name: t
            rules:
              - {from: img/head/bias, to: x}
              - {from: llm/final_norm/scale, to: x}
            """);
        Assert.Contains("target 'x' is produced twice (by rules for 'img/head/bias' and 'llm/final_norm/scale')", error);
    }

    [Fact]
    public void UnmappedSourceTensorsAreListedUnlessSkipped()
    {
        var error = Apply("name: t\nrules:\n  - {from: img/head/bias, to: x}\n");
        Assert.Contains("that no rule of 't' maps", error);
        Assert.Contains("img/Transformer/encoder_norm/bias", error);
    }

    [Theory]
    [InlineData("kv.{i}", "[{frobnicate: 1}]", "unknown operation 'frobnicate'")]
    [InlineData("kv.{part}.{i}", "[unstack]", "still has a placeholder")]
    [InlineData("kv.{part}.{i}", "[unstack, {split: [a, b, c]}]", "split into 3 parts but axis 0")]
    [InlineData("kv.{i}", "[unstack, {reshape: [W, 3]}]", "cannot reshape")]
    [InlineData("kv.{i}", "[unstack, {transpose: [0, 0, 1]}]", "transpose needs a permutation of 0..n-1, not ['0', '0', '1']")]
    [InlineData("kv.{i}", "[unstack, {transpose: [1, 0]}]", "transpose of 2 axes on 'llm/layers/attn/kv_einsum/w'")]
    [InlineData("kv.{i}", "[{split: x}]", "split needs a list of part names, not 'x'")]
    [InlineData("kv.{i}", "[{unstack: 3}]", "unstack takes no argument")]
    [InlineData("kv.{i}", "[{split: [a], reshape: [W]}]", "operation {split: ['a'], reshape: ['W']} is not understood")]
    [InlineData("kv.{i}", "[unstack, {reshape: [Q]}]", "unknown size 'Q'")]
    public void BadRulesAreRefusedWithTheReason(string to, string ops, string expected)
    {
        var error = Refusal($$"""
            name: t
            {{Skip}}
            rules:
              - {from: llm/layers/attn/kv_einsum/w, to: "{{to}}", ops: {{ops}}}
            """);
        // a rule that cannot be applied names its file and rule; a reshape the tensor cannot take names the tensor
        if (expected == "cannot reshape") Assert.Equal("llm/layers/attn/kv_einsum/w", Assert.IsType<BadInputException>(error).Item);
        else Assert.Equal("llm/layers/attn/kv_einsum/w", Assert.IsType<RuleException>(error).Rule);
        Assert.Contains(expected, error!.Message);
    }

    [Fact]
    public void ASourceShapeThatContradictsTheRuleIsNamed()
    {
        var error = Apply($$"""
            name: t
            {{Skip}}
            rules:
              - {from: llm/layers/attn/kv_einsum/w, to: "kv.{i}.{part}", shape: [L, 2, K, W, 7], ops: [unstack, {split: [k, v]}]}
            """);
        Assert.Contains("tensor 'llm/layers/attn/kv_einsum/w' has shape (2, 2, 2, 48, 16) but the other tensors imply (2, 2, 2, 48, 7)",
            error);
    }

    [Fact]
    public void ReshapeAfterTransposeRelabelsAndRefusesAFollowingTranspose()
    {
        var error = Apply($$"""
            name: t
            {{Skip}}
            rules:
              - from: llm/layers/attn/q_einsum/w
                to: q.{i}
                ops: [unstack, {transpose: [0, 2, 1]}, {reshape: [N*H, W]}, {transpose: [1, 0]}]
            """);
        Assert.Contains("transpose after reshaping", error);
    }
}
