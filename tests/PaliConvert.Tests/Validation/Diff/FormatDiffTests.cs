using System.Xml.Linq;
using PaliConvert.Analysis;
using PaliConvert.Export;
using PaliConvert.Pipeline;
using PaliConvert.Validation.Diff;

namespace PaliConvert.Tests.Validation.Diff;

/// <summary>diff across formats, through the rules: a fine-tune that changed two tensors shows exactly those two.</summary>
public class FormatDiffTests
{
    private const string V1 = "language_model.model.layers.1.self_attn.v_proj.weight",
        K1 = "language_model.model.layers.1.self_attn.k_proj.weight";

    /// <summary>The base against a fine-tune of one kv head of layer 1's values and the final norm, in another format.</summary>
    private static string Tuned(TempDir dir, string model, string format)
    {
        string tuned = NpzCopy.Write(TestPaths.Golden($"{model}/params.f32.npz"), dir.File("t.npz"), t =>
        {
            var b = NpzCopy.Bytes(t);
            var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b.AsSpan());
            if (t.Name == FineTune.Kv)
            {
                long perHead = t.Shape[3] * t.Shape[4], start = ((1 * 2 + 1) * t.Shape[2] + 0) * perHead; // [layer 1, values, head 0]
                for (long i = start; i < start + perHead; i++) f[(int)i] *= 1.5f;
            }
            if (t.Name == FineTune.Norm) for (int i = 0; i < f.Length; i++) f[i] += 0.1f;
            return [(t.Name, t.Shape, b)];
        });
        if (format == "npz") return tuned;
        string hf = Jax2Hf.Run(new Jax2HfOptions(tuned, dir.File("hf"), TestPaths.Mappings));
        return format == "hf" ? hf : Path.Combine(ExportOnnx.Run(new ExportOnnxOptions(hf, dir.File("onnx"), TestPaths.Mappings)),
            OnnxLayout.ModelFile);
    }

    [Theory]
    [InlineData("pg1-tiny", "hf", false)]
    [InlineData("pg1-tiny", "onnx", true)]
    [InlineData("pg2-tiny", "hf", true)]
    [InlineData("pg2-tiny", "onnx", false)]
    public void AFineTuneOfTwoTensorsShowsExactlyThoseTwoInEitherOrder(string model, string format, bool reversed)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz"), other = Tuned(dir, model, format);
        Assert.True(FormatDiff.Needed(npz, other));
        var (a, b) = reversed ? (other, npz) : (npz, other);
        var r = FormatDiff.Compare(a, b, TestPaths.Mappings, new DiffTolerance());
        var changed = r.Tensors.Where(t => t.Status != DiffStatus.Equal).ToList();
        Assert.Equal([V1, "language_model.model.norm.weight"], changed.Select(t => t.Name).Order());
        var v = changed.Single(t => t.Name == V1);
        Assert.Equal("llm/layers/attn/kv_einsum/w[1, 1]", v.Other);
        Assert.Equal("heads 0", v.Where);
        Assert.InRange(v.RelativeChange, 0.01, 1);
        Assert.DoesNotContain(r.Tensors, t => t.Name == K1 && t.Status != DiffStatus.Equal); // keys apart from values
    }

    [Fact]
    public void ToleranceLooksPastADtypesRoundingAndThePlotShowsTheLayers()
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var f16 = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("f16"), TestPaths.Mappings, OutputDType.F16));
        Assert.False(FormatDiff.Compare(npz, f16, TestPaths.Mappings, new DiffTolerance()).Identical);
        Assert.True(FormatDiff.Compare(npz, f16, TestPaths.Mappings, new DiffTolerance(Atol: 1e-6, Rtol: 1e-3)).Identical);

        string tuned = Tuned(dir, "pg2-tiny", "hf");
        var (code, stdout, stderr) = CliRunner.Run("diff", npz, tuned, "--plot", dir.File("d.svg"));
        Assert.True(code == 1, stderr);
        Assert.Contains("2 differ", stdout);
        var svg = XDocument.Load(dir.File("d.svg"));
        var rects = svg.Descendants().Where(e => e.Name.LocalName == "rect").ToList();
        Assert.Equal(63, rects.Count);
        var hot = rects.Where(e => e.Attribute("fill")!.Value != "#e6e6e6").Select(e => e.Value).ToList();
        Assert.Equal(2, hot.Count);
        Assert.Contains(hot, t => t.StartsWith(V1));
    }

    [Fact]
    public void APairNoRuleMapsIsRefusedWithTheReason()
    {
        var (code, _, stderr) = CliRunner.Run("diff", TestPaths.Golden("pg2-tiny/params.f32.npz"), TestPaths.Golden("pg1-tiny/hf"));
        Assert.Equal(2, code);
        Assert.Contains("not the same architecture", stderr);
        var e = Assert.Throws<ModelMismatchException>(() => FormatDiff.Compare(TestPaths.Golden("pg2-tiny/params.f32.npz"),
            TestPaths.Golden("pg1-tiny/hf"), TestPaths.Mappings, new DiffTolerance()));
        Assert.Equal("architecture", e.What);
    }
}
