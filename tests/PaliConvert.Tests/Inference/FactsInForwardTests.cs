using System.Globalization;
using System.Text.Json.Nodes;
using PaliConvert.Export;
using PaliConvert.Inference;
using PaliConvert.Models;
using static PaliConvert.Tests.ModelRuns;

namespace PaliConvert.Tests.Inference;

/// <summary>Every fact of the description reaches the reference pass and the ONNX graph, checked against the numpy oracle.</summary>
public class FactsInForwardTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(9.0)]
    [InlineData(144.0)]
    public void AStatedQueryScalarEqualsScalingQProjInTheWeights(double s)
    {
        using var dir = new TempDir();
        var inConfig = HfCopy.Write("pg2-tiny/hf", dir.File("config"), c => HfCopy.Set(c, "text_config.query_pre_attn_scalar", s));
        float factor = (float)Math.Sqrt(16 / s); // head_dim 16
        var inWeights = HfCopy.Write("pg2-tiny/hf", dir.File("weights"), values: t =>
            t.Name.EndsWith("self_attn.q_proj.weight") && t.Name.Contains("language_model")
                ? HfCopy.Values(t).Select(x => x * factor).ToArray() : null);
        var inputs = GoldenInputs("pg2-tiny");
        var a = Reference(inConfig, inputs);
        var b = Reference(inWeights, inputs);
        Assert.True(MaxAbs(a, b) < 1e-5, $"reference: {MaxAbs(a, b)}");
        Assert.True(MaxAbs(a, Reference(TestPaths.Golden("pg2-tiny/hf"), inputs)) > 1e-2, "the scalar must change the logits");
        var oa = Onnx(inConfig, dir, inputs);
        var ob = Onnx(inWeights, dir, inputs);
        Assert.True(MaxAbs(oa, ob) < 1e-5, $"ONNX Runtime: {MaxAbs(oa, ob)}");
        Assert.True(MaxAbs(oa, a) < Tolerance, $"ONNX Runtime against the reference: {MaxAbs(oa, a)}");
        // the same fact stated for the big_vision checkpoint gives the same logits
        var npz = Reference(TestPaths.Golden("pg2-tiny/params.f32.npz"), inputs, new StatedFacts(QueryPreAttnScalar: s));
        Assert.True(MaxAbs(npz, a) < Tolerance, $"stated for the .npz: {MaxAbs(npz, a)}");
    }

    public static TheoryData<string, string, object> ChangedFacts() => new()
    {
        { "pg2-tiny", "text_config.sliding_window", 3 },
        { "pg2-tiny", "text_config.sliding_window", 17 },
        { "pg2-tiny", "text_config.rope_parameters.rope_theta", 100.0 },
        { "pg2-tiny", "text_config.rms_norm_eps", 0.5 },
        { "pg2-tiny", "vision_config.layer_norm_eps", 0.25 },
        { "pg2-tiny", "text_config.attn_logit_softcapping", 2.0 },
        { "pg1-tiny", "text_config.rope_parameters.rope_theta", 50.0 },
        { "pg1-tiny", "text_config.rms_norm_eps", 0.3 },
    };

    /// <summary>
    /// A changed fact in config.json moves the reference pass and ONNX Runtime exactly as it moves the independent numpy
    /// oracle (which states the sliding-window mask in transformers' own terms); and it does move the logits.
    /// </summary>
    [Theory, MemberData(nameof(ChangedFacts))]
    public void AChangedFactMovesEveryEngineAsTheOracle(string model, string key, object value)
    {
        using var dir = new TempDir();
        JsonNode node = value is int i ? JsonValue.Create(i) : JsonValue.Create((double)value);
        var folder = HfCopy.Write($"{model}/hf", dir.File("m"), c => HfCopy.Set(c, key, node));
        var facts = GoldenFacts(model);
        string k = key.Split('.')[^1];
        facts[k switch { "sliding_window" => "window", "rope_theta" => "theta", "rms_norm_eps" => "eps", "layer_norm_eps" => "vision_eps",
            _ => "attn_softcap" }] = value;
        var oracle = Oracle(TestPaths.Golden($"{model}/params.f32.npz"), model, "prefixlm", dir, facts);
        var inputs = GoldenInputs(model);
        var reference = Reference(folder, inputs);
        Assert.True(MaxAbs(reference, oracle) < Tolerance, $"reference against the oracle: {MaxAbs(reference, oracle)}");
        var onnx = Onnx(folder, dir, inputs);
        Assert.True(MaxAbs(onnx, oracle) < Tolerance, $"ONNX Runtime against the oracle: {MaxAbs(onnx, oracle)}");
        var unchanged = Reference(TestPaths.Golden($"{model}/hf"), inputs);
        Assert.True(MaxAbs(unchanged, reference) > 1e-3, $"{key} = {value} must change the logits");
    }

    [Fact]
    public void TheSplitLayoutAppliesTheWindowThroughItsCache()
    {
        using var dir = new TempDir();
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"), c => HfCopy.Set(c, "text_config.sliding_window", 3));
        var facts = GoldenFacts("pg2-tiny");
        facts["window"] = 3;
        var oracle = Oracle(TestPaths.Golden("pg2-tiny/params.f32.npz"), "pg2-tiny", "prefixlm", dir, facts);
        var split = Onnx(folder, dir, GoldenInputs("pg2-tiny"), layout: OnnxLayoutKind.Split);
        Assert.True(MaxAbs(split, oracle) < Tolerance, $"split layout against the oracle: {MaxAbs(split, oracle)}");
    }

    [Fact]
    public void TheWindowSparesTheBidirectionalBlockOnly()
    {
        int[] group = [0, 0, 0, 0, 1, 2, 3]; // 4 prefix positions, 3 suffix tokens
        Assert.True(PaliGemmaForward.Visible(group, 0, 3, 2)); // both in the prefix: the window does not apply
        Assert.True(PaliGemmaForward.Visible(group, 3, 0, 2));
        Assert.False(PaliGemmaForward.Visible(group, 6, 3, 2)); // suffix to prefix, 3 apart
        Assert.True(PaliGemmaForward.Visible(group, 6, 5, 2));
        Assert.False(PaliGemmaForward.Visible(group, 5, 6, 0)); // causal
    }

    [Fact]
    public void ErfMatchesPython()
    {
        double[] xs = [-6, -3.2, -1, -0.49, -1e-3, 0, 1e-5, 0.3, 0.5, 0.51, 1.7, 2.5, 3.99, 4.01, 5.5, 9];
        var expected = TestPaths.Python("erf.py", xs.Select(x => x.ToString("R", CultureInfo.InvariantCulture)).ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        for (int i = 0; i < xs.Length; i++) Assert.True(Math.Abs(Ops.Erf(xs[i]) - expected[i]) < 1e-14,
            $"erf({xs[i]}) = {Ops.Erf(xs[i]):R}, Python {expected[i]:R}");
    }

    /// <summary>The vectorized tanh GELU against the formula in double, over 70,000 values (several 1,024-value runs and
    /// more than two of the 32,768-value chunks the cores share out, the last one partial).</summary>
    [Fact]
    public void TanhGeluOverASpanMatchesTheFormulaInDouble()
    {
        var xs = Enumerable.Range(0, 70_000).Select(i => (float)((i - 35_000) * 3e-4 + (i % 7) * 1e-4)).Append(-30f).Append(30f).ToArray();
        var y = xs.ToArray();
        Ops.Activate(y, Activation.GeluPytorchTanh);
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i], want = 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            Assert.True(Math.Abs(y[i] - want) <= 1e-6 * Math.Max(1, Math.Abs(x)), $"gelu({x}) = {y[i]}, formula {want}");
        }
    }

    [Fact]
    public void ExactGeluIsImplementedAndOthersAreRefused()
    {
        using var dir = new TempDir();
        var folder = HfCopy.Write("pg2-tiny/hf", dir.File("m"), c => HfCopy.Set(c, "text_config.hidden_activation", "gelu"));
        var inputs = GoldenInputs("pg2-tiny");
        var exact = Reference(folder, inputs);
        var onnx = Onnx(folder, dir, inputs);
        Assert.True(MaxAbs(exact, onnx) < Tolerance, $"exact GELU, reference against ONNX Runtime: {MaxAbs(exact, onnx)}");
        Assert.True(MaxAbs(exact, Reference(TestPaths.Golden("pg2-tiny/hf"), inputs)) > 1e-5,
            "the exact GELU must differ from the tanh one");
        var relu = HfCopy.Write("pg2-tiny/hf", dir.File("relu"), c => HfCopy.Set(c, "text_config.hidden_activation", "relu"));
        var e = Assert.Throws<BadInputException>(() => HfConfigFile.Read(Path.Combine(relu, "config.json")));
        Assert.Contains("'relu' is not implemented", e.Message);
    }
}
