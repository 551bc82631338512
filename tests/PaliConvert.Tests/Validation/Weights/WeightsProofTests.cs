using PaliConvert.Export;
using PaliConvert.Formats;
using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;
using PaliConvert.Validation.Weights;

namespace PaliConvert.Tests.Validation.Weights;

/// <summary>
/// The weights proof on conversions the tool made (every direction, container and dtype), and on each damage a
/// conversion could suffer that keeps every shape: it must name the tensor that differs, in both spellings.
/// </summary>
public class WeightsProofTests
{
    private static string Mappings => TestPaths.Mappings;
    private const string L = "language_model.model.layers.";

    internal static WeightsReport Prove(string source, string target, OnnxDType? variant = null)
    {
        using var ck = KeySpelling.Open(source);
        return WeightsProof.Run(ck, ArchDetector.Detect(ck), target, Mappings, variant);
    }

    public static TheoryData<string, string> Conversions()
    {
        var d = new TheoryData<string, string>();
        foreach (var m in TestPaths.Cases)
            foreach (var c in new[] { "hf f32", "hf f16", "hf bf16", "hf keep from mixed", "npz from hf", "npz bf16 from hf",
                         "onnx single", "split fp32", "split fp16", "split q8", "split q4", "split q4f16", "split q4 asymmetric",
                         "golden hf (transformers)", "golden hf-legacy" })
                d.Add(m, c);
        return d;
    }

    [Theory, MemberData(nameof(Conversions))]
    public void EveryConversionTheToolMakesIsProved(string model, string conversion)
    {
        using var dir = new TempDir();
        var (source, target, variant) = Make(dir, model, conversion);
        var r = Prove(source, target, variant);
        Assert.True(r.Passed, string.Join("\n", r.Failures.Select(f => $"{f.Target}: {f.Describe()}")));
        Assert.True(r.Checks.Count > 30);
    }

    public static TheoryData<string, string> Lossy()
    {
        var d = new TheoryData<string, string>();
        foreach (var m in TestPaths.Cases)
            foreach (var c in new[] { "hf f16", "hf bf16", "split fp16", "split q8", "split q4", "split q4f16" }) d.Add(m, c);
        return d;
    }

    /// <summary>A correct rounded conversion passes verify with no option: weights proved, logits within the rounding's bound.</summary>
    [Theory, MemberData(nameof(Lossy))]
    public void CorrectRoundedConversionsPassVerifyWithDefaultOptions(string model, string conversion)
    {
        using var dir = new TempDir();
        var (source, target, variant) = Make(dir, model, conversion);
        var r = PaliConvert.Pipeline.Verify.Run(new VerifyOptions(source, target, MappingsFolder: Mappings, DType: variant,
            Engine: variant == null ? VerifyEngine.Reference : VerifyEngine.Onnx));
        Assert.True(r.Passed, r.ToText());
        Assert.True(r.WeightsProved);
        Assert.NotEqual(PaliConvert.Validation.Rounding.Exact, r.Tolerance.Expected);
        Assert.True(r.Tolerance.FromRounding);
        Assert.Contains("PASS: the weights are the source's", r.ToText());
    }

    internal static (string source, string target, OnnxDType? variant) Make(TempDir dir, string model, string conversion)
    {
        string npz = TestPaths.Golden($"{model}/params.f32.npz"), hf = dir.File("hf");
        string Hf(string dtype, string from) => Jax2Hf.Run(new Jax2HfOptions(from, hf, Mappings, dtype switch
        {
            "f16" => OutputDType.F16, "bf16" => OutputDType.BF16, "keep" => OutputDType.Keep, _ => OutputDType.F32,
        }));
        string Split(OnnxWeights w) =>
            ExportOnnx.Run(new ExportOnnxOptions(npz, dir.File("web"), Mappings, w, Layout: OnnxLayoutKind.Split));
        return conversion switch
        {
            "hf f32" => (npz, Hf("f32", npz), null),
            "hf f16" => (npz, Hf("f16", npz), null),
            "hf bf16" => (npz, Hf("bf16", npz), null),
            "hf keep from mixed" => (Mixed(model), Hf("keep", Mixed(model)), null),
            "npz from hf" => (Hf("f32", npz), Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("b.npz"), Mappings)), null),
            "npz bf16 from hf" => (Hf("f32", npz), Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("b.npz"), Mappings, OutputDType.BF16)),
                null),
            "onnx single" => (npz, Path.Combine(ExportOnnx.Run(new ExportOnnxOptions(npz, dir.File("o"), Mappings)), "model.onnx"),
                null),
            "split fp32" => (npz, Split(OnnxWeights.Fp32), OnnxDType.Fp32),
            "split fp16" => (npz, Split(new OnnxWeights(OnnxDType.Fp16)), OnnxDType.Fp16),
            "split q8" => (npz, Split(new OnnxWeights(OnnxDType.Q8)), OnnxDType.Q8),
            "split q4" => (npz, Split(new OnnxWeights(OnnxDType.Q4)), OnnxDType.Q4),
            "split q4f16" => (npz, Split(new OnnxWeights(OnnxDType.Q4F16)), OnnxDType.Q4F16),
            "split q4 asymmetric" => (npz, Split(new OnnxWeights(OnnxDType.Q4, 16, Symmetric: false)), OnnxDType.Q4),
            "golden hf (transformers)" => (npz, TestPaths.Golden($"{model}/hf"), null),
            _ => (npz, TestPaths.Golden($"{model}/hf-legacy"), null),
        };
    }

    private static string Mixed(string model) => TestPaths.Golden($"{model}/params.mixed.npz");

    /// <summary>Rewrites a stored tensor's bytes in place (the file is not mapped any more when this runs).</summary>
    internal static void Patch(string checkpoint, string tensor, Func<byte[], byte[]> change)
    {
        string file;
        long offset;
        byte[] bytes;
        using (var ck = checkpoint.EndsWith(".onnx") ? (Checkpoint)OnnxCheckpoint.Open(checkpoint) : KeySpelling.Open(checkpoint))
        {
            var t = ck.Get(tensor);
            (file, offset, bytes) = (t.Data.File.Path, t.Data.Offset, t.Data.Span(0, (int)t.ByteLength).ToArray());
        }
        var changed = change(bytes);
        Assert.Equal(bytes.Length, changed.Length);
        Assert.NotEqual(bytes, changed);
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        fs.Write(changed);
    }

    internal static byte[] Read(string checkpoint, string tensor)
    {
        using var ck = KeySpelling.Open(checkpoint);
        return NpzCopy.Bytes(ck.Get(tensor));
    }

    /// <summary>Exchanges the bytes of two same-sized tensors of a Hugging Face folder.</summary>
    internal static void Swap(string folder, string a, string b)
    {
        var (ba, bb) = (Read(folder, a), Read(folder, b));
        Patch(folder, a, _ => bb);
        Patch(folder, b, _ => ba);
    }

    /// <summary>
    /// A target named as no rule names the source's tensors (an export by another tool) proves nothing either way:
    /// the report says so, and verify judges it by the logits alone.
    /// </summary>
    [Fact]
    public void ATargetNamedOtherwiseIsReportedAsNotProved()
    {
        using var dir = new TempDir();
        string other = dir.File("other");
        Directory.CreateDirectory(other);
        using (var src = KeySpelling.OpenHf(TestPaths.Golden("pg2-tiny/hf")))
        using (var fs = File.Create(Path.Combine(other, "model.safetensors")))
        {
            var renamed = src.Tensors.Select(t => ("onnx::" + t.Name.Replace('.', '_'), t.DType, t.Shape)).ToList();
            fs.Write(PaliConvert.Formats.Safetensors.SafetensorsFile.BuildHeader(renamed, null));
            foreach (var t in src.Tensors) fs.Write(t.Data.Span(0, (int)t.ByteLength));
        }
        var r = Prove(TestPaths.Golden("pg2-tiny/params.f32.npz"), other);
        Assert.False(r.Applicable);
        Assert.False(r.Passed);
        Assert.All(r.Checks.Where(c => c.Target.StartsWith("onnx::")), c => Assert.Equal("not in the source: no rule makes it",
            c.Problem));
    }
}
