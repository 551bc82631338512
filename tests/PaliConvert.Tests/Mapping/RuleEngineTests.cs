using PaliConvert.Formats.Npz;
using PaliConvert.Mapping;
using PaliConvert.Models;

namespace PaliConvert.Tests.Mapping;

public class RuleEngineTests
{
    private static (RuleFile rules, string error) Apply(string yaml, string model = "pg2-tiny")
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.yaml"), yaml);
        using var ck = NpzCheckpoint.Open(TestPaths.Golden($"{model}/params.f32.npz"));
        var rules = RuleFile.Load(dir.File("r.yaml"));
        var symbols = RuleEngine.Symbols(ArchDetector.Detect(ck), 320);
        var e = Record.Exception(() => RuleEngine.Apply(rules, ck, symbols));
        return (rules, e?.Message ?? "");
    }

    private const string Skip = "skip: [img/embedding/bias, img/embedding/kernel, img/pos_embedding, img/head/kernel, img/head/bias, llm/final_norm/scale]";

    [Fact]
    public void TargetProducedTwiceIsNamed()
    {
        var (_, error) = Apply("""
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
        var (_, error) = Apply("name: t\nrules:\n  - {from: img/head/bias, to: x}\n");
        Assert.Contains("that no rule of 't' maps", error);
        Assert.Contains("img/Transformer/encoder_norm/bias", error);
    }

    [Theory]
    [InlineData("kv.{i}", "[{frobnicate: 1}]", "unknown operation 'frobnicate'")]
    [InlineData("kv.{part}.{i}", "[unstack]", "still has a placeholder")]
    [InlineData("kv.{part}.{i}", "[unstack, {split: [a, b, c]}]", "split into 3 parts but axis 0")]
    [InlineData("kv.{i}", "[unstack, {reshape: [W, 3]}]", "cannot reshape")]
    [InlineData("kv.{i}", "[unstack, {transpose: [0, 0, 1]}]", "does not fit shape")]
    [InlineData("kv.{i}", "[unstack, {reshape: [Q]}]", "unknown size 'Q'")]
    public void BadRulesAreRefusedWithTheReason(string to, string ops, string expected)
    {
        var (_, error) = Apply($$"""
            name: t
            {{Skip}}
            rules:
              - {from: llm/layers/attn/kv_einsum/w, to: "{{to}}", ops: {{ops}}}
            """);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void ASourceShapeThatContradictsTheRuleIsNamed()
    {
        var (_, error) = Apply($$"""
            name: t
            {{Skip}}
            rules:
              - {from: llm/layers/attn/kv_einsum/w, to: "kv.{i}.{part}", shape: [L, 2, K, W, 7], ops: [unstack, {split: [k, v]}]}
            """);
        Assert.Contains("tensor 'llm/layers/attn/kv_einsum/w' has shape (2, 2, 2, 48, 16) but the other tensors imply (2, 2, 2, 48, 7)", error);
    }

    [Fact]
    public void ReshapeAfterTransposeRelabelsAndRefusesAFollowingTranspose()
    {
        var (_, error) = Apply($$"""
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
