using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Inference;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Adapters;

/// <summary>
/// Merges against the numpy oracle (tests/oracle/lora_oracle.py, written from PEFT's documented format): every merged
/// tensor within float32 rounding (1e-5 absolute plus 1e-5 relative), the merged model's logits against the oracle
/// merge's, the unmerged forward against the merged one, and each converter with --adapter against converting the merge.
/// </summary>
public class LoraMergeTests
{
    private static string Mappings => TestPaths.Mappings;
    private static string Hf(string model) => TestPaths.Golden($"{model}/hf");

    public static TheoryData<string, string> Cases()
    {
        var d = new TheoryData<string, string>();
        foreach (var m in TestPaths.Cases)
            foreach (var s in AdapterFiles.Specs.Keys) d.Add(m, s);
        return d;
    }

    private static void AssertClose(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5 + 1e-5 * Math.Abs(e[i]), $"{what}: {name}[{i}] {a[i]} vs the oracle's {e[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MergedTensorsMatchTheNumpyMerge(string model, string spec)
    {
        using var dir = new TempDir();
        var adapter = AdapterFiles.Make(Hf(model), spec, dir.File("adapter"));
        var oracle = AdapterFiles.Merge(Hf(model), adapter, dir.File("oracle"));
        var ours = MergeAdapter.Run(new MergeAdapterOptions(Hf(model), adapter, dir.File("merged"), Mappings, OutputDType.F32));
        var expected = AdapterFiles.Values(oracle);
        AssertClose(expected, AdapterFiles.Values(ours), spec);
        var changed = AdapterFiles.Values(Hf(model)).Count(kv => !kv.Value.AsSpan().SequenceEqual(expected[kv.Key]));
        Assert.True(changed >= 2, $"{spec}: the adapter changed {changed} tensors"); // the case tests something
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheMergedModelComputesWhatTheAdapterDoes(string model, string spec)
    {
        using var dir = new TempDir();
        var adapter = AdapterFiles.Make(Hf(model), spec, dir.File("adapter"));
        var oracle = AdapterFiles.Merge(Hf(model), adapter, dir.File("oracle"));
        var merged = MergeAdapter.Run(new MergeAdapterOptions(Hf(model), adapter, dir.File("merged"), Mappings));
        var inputs = ModelRuns.GoldenInputs(model);
        var ours = ModelRuns.Reference(merged, inputs);
        var theirs = ModelRuns.Reference(oracle, inputs);
        var baseline = ModelRuns.Reference(Hf(model), inputs);
        using var m = LoadedModel.Open(Hf(model), adapter: new AdapterInput(adapter, Mappings));
        var unmerged = new PaliGemmaForward(m.Weights).Run(inputs);
        double scale = ours.logits.Max(Math.Abs);
        Assert.True(ModelRuns.MaxAbs(ours, theirs) <= 1e-4 * Math.Max(1, scale),
            $"merged vs the oracle merge: {ModelRuns.MaxAbs(ours, theirs)}");
        Assert.True(ModelRuns.MaxAbs(ours.logits, unmerged.Logits) <= 2e-4 * Math.Max(1, scale),
            $"unmerged vs merged: {ModelRuns.MaxAbs(ours.logits, unmerged.Logits)}");
        Assert.True(ModelRuns.MaxAbs(ours, baseline) > 1e-2, "the adapter changes the logits");
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void ConvertersWithAnAdapterEqualConvertingTheMerge(string model)
    {
        using var dir = new TempDir();
        var adapter = AdapterFiles.Make(Hf(model), "dora-all-linear", dir.File("adapter"));
        var merged = MergeAdapter.Run(new MergeAdapterOptions(Hf(model), adapter, dir.File("merged"), Mappings));
        var a = Hf2Jax.Run(new Hf2JaxOptions(Hf(model), dir.File("a.npz"), Mappings) { Adapter = adapter });
        var b = Hf2Jax.Run(new Hf2JaxOptions(merged, dir.File("b.npz"), Mappings));
        using (var x = NpzCheckpoint.Open(a))
        using (var y = NpzCheckpoint.Open(b))
            foreach (var t in x.Tensors) Assert.True(NpzCopy.Bytes(t).SequenceEqual(NpzCopy.Bytes(y.Get(t.Name))), t.Name);
        var oa = ExportOnnx.Run(new ExportOnnxOptions(Hf(model), dir.File("oa"), Mappings) { Adapter = adapter });
        var ob = ExportOnnx.Run(new ExportOnnxOptions(merged, dir.File("ob"), Mappings));
        Assert.True(File.ReadAllBytes(Path.Combine(oa, "model.onnx.data")).SequenceEqual(File.ReadAllBytes(Path.Combine(ob,
            "model.onnx.data"))));
        // a big_vision base: jax2hf --adapter against the oracle's merge of the plain conversion
        string npz = TestPaths.Golden($"{model}/params.f32.npz");
        var plain = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("plain"), Mappings));
        var onNpz = AdapterFiles.Make(plain, "rslora-patterns", dir.File("adapter-npz"));
        var expected = AdapterFiles.Values(AdapterFiles.Merge(plain, onNpz, dir.File("oracle")));
        var ours = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("ours"), Mappings) { Adapter = onNpz });
        AssertClose(expected, AdapterFiles.Values(ours), "jax2hf --adapter");
        // and merged into the .npz itself, which goes back to the same HF tensors
        var npzMerged = MergeAdapter.Run(new MergeAdapterOptions(npz, onNpz, dir.File("m.npz"), Mappings));
        AssertClose(expected, AdapterFiles.Values(Jax2Hf.Run(new Jax2HfOptions(npzMerged, dir.File("back"), Mappings))), "npz merge");
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void VerifyProvesAMergeMadeElsewhereAndCatchesAForgottenOne(string model)
    {
        using var dir = new TempDir();
        var adapter = AdapterFiles.Make(Hf(model), "regex-in-memory", dir.File("adapter"));
        var oracle = AdapterFiles.Merge(Hf(model), adapter, dir.File("oracle"));
        var ok = Verify.Run(new VerifyOptions(Hf(model), oracle, MappingsFolder: Mappings) { Adapter = adapter });
        Assert.True(ok.Passed, ok.ToString());
        Assert.True(ok.WeightsProved);
        var forgot = Verify.Run(new VerifyOptions(Hf(model), Hf(model), MappingsFolder: Mappings) { Adapter = adapter });
        Assert.False(forgot.Passed);
        Assert.Contains(forgot.Weights!.Failures, f => f.Target.EndsWith("self_attn.q_proj.weight", StringComparison.Ordinal));
        Assert.DoesNotContain(forgot.Weights!.Failures, f => f.Target.EndsWith("self_attn.k_proj.weight", StringComparison.Ordinal));
        var q4 = ExportOnnx.Run(new ExportOnnxOptions(Hf(model), dir.File("q4"), Mappings,
            new PaliConvert.Export.OnnxWeights(PaliConvert.Export.OnnxDType.Q4), Layout: PaliConvert.Export.OnnxLayoutKind.Split)
            { Adapter = adapter });
        var proved = Verify.Run(new VerifyOptions(Hf(model), q4, MappingsFolder: Mappings, DType: PaliConvert.Export.OnnxDType.Q4,
            CompareLogits: false) { Adapter = adapter });
        Assert.True(proved.WeightsProved, proved.ToString());
    }
}
