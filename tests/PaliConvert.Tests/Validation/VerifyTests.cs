using System.Text.Json;
using System.Xml.Linq;
using Parquet.Serialization;
using PaliConvert.Models;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;
using PaliConvert.Validation;
using PaliConvert.Tests.Cli;

namespace PaliConvert.Tests.Validation;

public class VerifyTests
{
    private static string Mappings => Path.Combine(TestPaths.Root, "mappings");

    /// <summary>A copy of a golden HF folder in which <paramref name="damage"/> may rewrite any tensor's bytes (shapes kept).</summary>
    private static string Damaged(TempDir dir, string folder, Func<SafetensorsCheckpoint, TensorInfo, byte[], byte[]> damage)
    {
        string outDir = dir.File("damaged");
        Directory.CreateDirectory(outDir);
        using var src = KeySpelling.OpenHf(TestPaths.Golden(folder));
        using (var fs = File.Create(Path.Combine(outDir, "model.safetensors")))
        {
            fs.Write(SafetensorsFile.BuildHeader(src.Tensors.Select(t => (t.Name, t.DType, t.Shape)), null));
            foreach (var t in src.Tensors) fs.Write(damage(src, t, t.Data.Span(0, (int)t.ByteLength).ToArray()));
        }
        File.Copy(TestPaths.Golden($"{folder}/config.json"), Path.Combine(outDir, "config.json"));
        return outDir;
    }

    private static byte[] Bytes(SafetensorsCheckpoint ck,
        string name) { var t = ck.Get(name); return t.Data.Span(0, (int)t.ByteLength).ToArray(); }

    private static byte[] SwapWith(SafetensorsCheckpoint ck, TensorInfo t, byte[] b, string a, string other) =>
        t.Name == a ? Bytes(ck, other) : t.Name == other ? Bytes(ck, a) : b;

    /// <summary>Rows of q_proj grouped by head (H rows each), heads reordered 1, 0, 3, 2.</summary>
    private static byte[] InterleaveHeads(byte[] b, int heads)
    {
        int block = b.Length / heads;
        var r = new byte[b.Length];
        for (int n = 0; n < heads; n++) Array.Copy(b, (n ^ 1) * block, r, n * block, block);
        return r;
    }

    /// <summary>(D, 3, P, P) with the last two (spatial) axes swapped.</summary>
    private static byte[] TransposeSpatial(TensorInfo t, byte[] b)
    {
        int p = (int)t.Shape[3], planes = (int)(t.Shape[0] * t.Shape[1]);
        var r = new byte[b.Length];
        for (int pl = 0; pl < planes; pl++)
            for (int y = 0; y < p; y++)
                for (int x = 0; x < p; x++)
                    Array.Copy(b, ((pl * p + y) * p + x) * 4, r, ((pl * p + x) * p + y) * 4, 4);
        return r;
    }

    public static TheoryData<string, string> Damages() => new()
    {
        { "pg1-tiny", "swap k and v of layer 1" },
        { "pg2-tiny", "swap k and v of layer 1" },
        { "pg1-tiny", "interleave query heads of layer 0" },
        { "pg2-tiny", "interleave query heads of layer 0" },
        { "pg2-tiny", "swap the two Gemma 2 norms of layer 1" },
        { "pg1-tiny", "transpose the patch kernel's spatial axes" },
        { "pg2-tiny", "transpose the patch kernel's spatial axes" },
    };

    [Theory, MemberData(nameof(Damages))]
    public void ShapePreservingDamageFailsVerifyWithExitOne(string model, string damage)
    {
        using var dir = new TempDir();
        const string L = "language_model.model.layers.";
        var folder = Damaged(dir, $"{model}/hf-legacy", (ck, t, b) => damage switch
        {
            "swap k and v of layer 1" => SwapWith(ck, t, b, L + "1.self_attn.k_proj.weight", L + "1.self_attn.v_proj.weight"),
            "interleave query heads of layer 0" => t.Name == L + "0.self_attn.q_proj.weight" ? InterleaveHeads(b, 4) : b,
            "swap the two Gemma 2 norms of layer 1"
                => SwapWith(ck, t, b, L + "1.post_attention_layernorm.weight", L + "1.pre_feedforward_layernorm.weight"),
            _ => t.Name.EndsWith("patch_embedding.weight") ? TransposeSpatial(t, b) : b,
        });
        using (var ck = KeySpelling.OpenHf(folder))
        using (var golden = KeySpelling.OpenHf(TestPaths.Golden($"{model}/hf-legacy")))
            Assert.Contains(PaliConvert.Analysis.DiffReport.Compare(golden, ck).Tensors,
                t => t.Status == PaliConvert.Analysis.DiffStatus.Changed); // the damage is real
        var (code, stdout, _) = CliRunner.Run("verify", TestPaths.Golden($"{model}/params.f32.npz"), folder, "--inputs",
            TestPaths.Golden($"{model}/inputs.npz"), "--mask-key", "mask_ar_prefixlm");
        Assert.True(code == 1, stdout);
        Assert.Contains("FAIL", stdout);
        var r = Verify.Run(new VerifyOptions(TestPaths.Golden($"{model}/params.f32.npz"), folder)); // random inputs catch it too
        Assert.False(r.Summary.Passed, $"{damage}: max diff {r.Summary.MaxAbsDiff}");
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void CorrectConversionsPassBothWays(string model)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz");
        var hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), Mappings));
        Assert.True(Verify.Run(new VerifyOptions(npz, hf)).Summary.Passed);
        var back = Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("back.npz"), Mappings));
        var r = Verify.Run(new VerifyOptions(hf, back, TestPaths.Golden($"{model}/inputs.npz"), "mask_ar_causal"));
        Assert.True(r.Summary.Passed, r.ToText());
        Assert.Equal(300, r.Summary.SharedVocab);
        Assert.Equal(1.0, r.Summary.Top1Agreement);
    }

    [Fact]
    public async Task ReportsAreWrittenAndReadable()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = CliRunner.Run("verify", TestPaths.Golden("pg2-tiny/params.f32.npz"), TestPaths.Golden("pg2-tiny/hf"),
            "--report", dir.File("r.json"), "--junit", dir.File("r.xml"), "--parquet", dir.File("r.parquet"));
        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("r.json"))).RootElement;
        Assert.True(json.GetProperty("summary").GetProperty("passed").GetBoolean());
        Assert.Equal(12, json.GetProperty("positions").GetArrayLength());
        var xml = XDocument.Load(dir.File("r.xml"));
        int facts = json.GetProperty("facts").GetArrayLength();
        Assert.Equal(25, facts);
        Assert.All(json.GetProperty("facts").EnumerateArray(), f => Assert.True(f.GetProperty("equal").GetBoolean()));
        Assert.Equal("3", xml.Root!.Element("testsuite")!.Attribute("tests")!.Value); // a case per check: facts, weights, logits
        Assert.Equal(63, json.GetProperty("weights").GetProperty("checks").GetArrayLength());
        Assert.True(json.GetProperty("weights").GetProperty("passed").GetBoolean());
        Assert.Equal("0", xml.Root!.Element("testsuite")!.Attribute("failures")!.Value);
        using var pq = File.OpenRead(dir.File("r.parquet"));
        var rows = (await ParquetSerializer.DeserializeAsync<PositionFigures>(pq)).Data;
        Assert.Equal(12, rows.Count);
        Assert.Equal(json.GetProperty("summary").GetProperty("max_abs_diff").GetDouble(), rows.Max(x => x.MaxAbsDiff), 12);
        pq.Position = 0;
        await using var reader = await Parquet.ParquetReader.CreateAsync(pq);
        Assert.Equal("10000", reader.CustomMetadata["source.text_config.rope_theta"]);
        Assert.Contains("max_abs_diff", reader.Schema.GetDataFields().Select(f => f.Name)); // the JSON report's spelling
        Assert.Equal("gelu_pytorch_tanh", reader.CustomMetadata["target.text_config.hidden_activation"]);
    }

    [Fact]
    public void MixedPrecisionSourceFailsTheDefaultToleranceButPassesAStatedOne()
    {
        // the mixed file is the f32 one rounded to f16 outside attention: its logits differ by that rounding
        var r = Verify.Run(new VerifyOptions(TestPaths.Golden("pg1-tiny/params.mixed.npz"), TestPaths.Golden("pg1-tiny/hf-legacy")));
        Assert.False(r.Summary.Passed);
        Assert.InRange(r.Summary.MaxAbsDiff, 1e-4, 0.05);
        Assert.True(r.Summary.MinCosine > 0.9999);
    }

    [Fact]
    public void UnusableInputExitsTwo()
    {
        var (code, _, stderr) = CliRunner.Run("verify", TestPaths.Golden("pg1-tiny/params.f32.npz"), TestPaths.Golden("pg2-tiny/hf"));
        Assert.Equal(2, code);
        Assert.Contains("differ in architecture", stderr);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("in.npz"), [1, 2, 3]);
        (code, _, stderr) = CliRunner.Run("verify", TestPaths.Golden("pg1-tiny/params.f32.npz"), TestPaths.Golden("pg1-tiny/hf"),
            "--inputs", dir.File("in.npz"));
        Assert.Equal(2, code);
        Assert.Contains("in.npz", stderr);
    }

    [Fact]
    public void LogitsCommandWritesWhatGoldenHolds()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = CliRunner.Run("logits", TestPaths.Golden("pg2-tiny/params.bf16.npz"), "--inputs",
            TestPaths.Golden("pg2-tiny/inputs.npz"),
            "--mask-key", "mask_ar_fullprefix", "--out", dir.File("l.npy"));
        Assert.True(code == 0, stderr);
        var (shape, ours) = PaliConvert.Formats.Npz.NpyFile.ReadF32(dir.File("l.npy"));
        Assert.Equal(new long[] { 2, 7, 300 }, shape);
        var golden = PaliConvert.Formats.Npz.NpyFile.ReadF32(TestPaths.Golden("pg2-tiny/logits.jax.bf16.fullprefix.npy")).values;
        Assert.InRange(ModelRuns.MaxAbs(golden, ours), 0, 1e-4);
    }
}
