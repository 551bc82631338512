using System.Text.Json;
using System.Text.Json.Nodes;
using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Pipeline;
using PaliConvert.Validation;

namespace PaliConvert.Tests.Export;

/// <summary>
/// Quantized exports (q8, q4, q4f16): every quantized tensor equals what tests/oracle/quant_oracle.py computes with
/// numpy from the source weights (ONNX Runtime's quantizers' arithmetic, written again), and each variant's logits
/// stay within stated bounds of the f32 export's in ONNX Runtime.
/// </summary>
public class QuantizedExportTests
{
    /// <summary>The split export of <paramref name="model"/> from its .npz (so padded vocabulary rows are quantized too).</summary>
    internal static string Export(TempDir dir, string model, OnnxWeights weights, string name = "hub") =>
        ExportOnnx.Run(new ExportOnnxOptions(TestPaths.Golden($"{model}/params.f32.npz"), dir.File(name), TestPaths.Mappings, weights,
            Layout: OnnxLayoutKind.Split));

    /// <summary>Every initializer of the folder's graphs of one dtype as raw files, with a manifest the oracle reads.</summary>
    private static string Dump(TempDir dir, string folder, OnnxDType dtype)
    {
        string dump = dir.File($"dump-{dtype}");
        Directory.CreateDirectory(dump);
        var manifest = new JsonObject();
        foreach (var graph in new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder })
        {
            string file = Path.Combine(folder, OnnxLayout.SplitFile(graph, dtype));
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
            foreach (var t in model.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External))
            {
                var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
                using var data = File.OpenRead(Path.Combine(Path.GetDirectoryName(file)!, kv["location"]));
                var bytes = new byte[long.Parse(kv["length"])];
                data.Seek(long.Parse(kv["offset"]), SeekOrigin.Begin);
                data.ReadExactly(bytes);
                string raw = $"{manifest.Count}.bin";
                File.WriteAllBytes(Path.Combine(dump, raw), bytes);
                manifest[t.Name] = new JsonArray(((TensorProto.Types.DataType)t.DataType).ToString(),
                    new JsonArray(t.Dims.Select(d => JsonValue.Create(d)).ToArray<JsonNode?>()), raw);
            }
        }
        File.WriteAllText(Path.Combine(dump, "manifest.json"), manifest.ToJsonString());
        return dump;
    }

    [Theory]
    [InlineData("pg1-tiny", OnnxDType.Q8, 32, true), InlineData("pg2-tiny", OnnxDType.Q8, 32, false),
        InlineData("pg1-tiny", OnnxDType.Q4, 32, true), InlineData("pg2-tiny", OnnxDType.Q4, 32, true),
        InlineData("pg2-tiny", OnnxDType.Q4, 16, false), InlineData("pg1-tiny", OnnxDType.Q4F16, 64, true),
        InlineData("pg2-tiny", OnnxDType.Q4F16, 32, false)]
    public void QuantizedWeightsAreOnnxRuntimesRoundingOfTheSource(string model, OnnxDType dtype, int block, bool symmetric)
    {
        using var dir = new TempDir();
        string folder = Export(dir, model, new OnnxWeights(dtype, block, symmetric));
        string dump = Dump(dir, folder, dtype);
        // the source as jax2hf writes it: golden's weights, with the padded vocabulary rows as the export pads them
        string hf = Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden($"{model}/params.f32.npz"), dir.File("hf"), TestPaths.Mappings));
        var result = JsonNode.Parse(TestPaths.Python("quant_oracle.py", Path.Combine(hf, "model.safetensors"), dump,
            dtype == OnnxDType.Q8 ? "q8" : dtype.Name(), block.ToString(), symmetric ? "true" : "false"))!.AsObject();
        // every linear layer and the logits' embedding: 6 per vision layer, the projector, 7 per decoder layer, embed_tokens
        Assert.Equal(2 * 6 + 1 + 2 * 7 + 1, result.Count);
        double bound = dtype == OnnxDType.Q8 ? 0.5 : 1.0; // rounding is half a step; a symmetric 4-bit code clamps at 15
        foreach (var (name, r) in result)
        {
            Assert.True(r!["codes_mismatch"]!.GetValue<int>() == 0, $"{name}: {r}");
            Assert.True(r["scales_max_diff"]!.GetValue<double>() == 0, $"{name}: {r}");
            Assert.True(r["zeros_mismatch"]!.GetValue<int>() == 0, $"{name}: {r}");
            Assert.InRange(r["max_error_steps"]!.GetValue<double>(), 0, bound + 1e-4);
        }
    }

    /// <summary>
    /// The stated bounds against the f32 export on golden's prefix-LM inputs (14 text positions, ONNX Runtime both):
    /// mean KL divergence of the next-token distributions at most 1e-3 nats and top-1 agreement at least 90%; and q8's
    /// largest logit error at most a quarter of q4's (int8 codes whose products saturate on an AVX2 CPU made it 3x q4's).
    /// </summary>
    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void QuantizedLogitsStayWithinStatedBoundsOfTheF32Export(string model)
    {
        using var dir = new TempDir();
        string folder = Export(dir, model, OnnxWeights.Fp32);
        foreach (var d in new[] { OnnxDType.Q8, OnnxDType.Q4, OnnxDType.Q4F16 }) Export(dir, model, new OnnxWeights(d));
        Assert.Equal([OnnxDType.Fp32, OnnxDType.Q8, OnnxDType.Q4, OnnxDType.Q4F16], OnnxLayout.SplitDTypes(folder));
        var inputs = ModelRuns.GoldenInputs(model);
        var (f32, vocab) = OnnxRunner.Run(folder, inputs, OnnxDType.Fp32);
        var maxAbs = new Dictionary<OnnxDType, double>();
        foreach (var d in new[] { OnnxDType.Q8, OnnxDType.Q4, OnnxDType.Q4F16 })
        {
            var (q, qv) = OnnxRunner.Run(folder, inputs, d);
            var (s, _) = LogitComparison.Compare(f32, vocab, q, qv, inputs.Batch, inputs.TextLength, new LogitTolerance(MinTop1: 0.9,
                MaxKl: 1e-3));
            Assert.True(s.Passed, $"{d}: {JsonSerializer.Serialize(s)}");
            Assert.True(s.MaxAbsDiff > 0, $"{d}: the quantized logits equal the f32 ones, so nothing was quantized");
            maxAbs[d] = s.MaxAbsDiff;
        }
        Assert.True(maxAbs[OnnxDType.Q8] <= maxAbs[OnnxDType.Q4] / 4, $"q8 {maxAbs[OnnxDType.Q8]} vs q4 {maxAbs[OnnxDType.Q4]}");
    }

    /// <summary>check-onnx reads the contrib domain: a MatMulNBits without its operator set, or with weights its attributes
    /// do not describe, is named.</summary>
    [Theory]
    [InlineData("no import", "in operator set 'com.microsoft', which the model does not import"),
        InlineData("B dims", "(MatMulNBits): B '"), InlineData("block size", "block_size 24"),
        InlineData("version", "operator set 'com.microsoft' version 2 is outside 1..1")]
    public void CheckOnnxReadsTheMicrosoftDomain(string damage, string expected)
    {
        using var dir = new TempDir();
        string folder = Export(dir, "pg2-tiny", new OnnxWeights(OnnxDType.Q4));
        string file = Path.Combine(folder, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxDType.Q4));
        Assert.True(OnnxChecker.Check(file).Ok);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
        var node = model.Graph.Node.First(n => n.OpType == "MatMulNBits");
        var ms = model.OpsetImport.First(o => o.Domain == "com.microsoft");
        switch (damage)
        {
            case "no import": model.OpsetImport.Remove(ms); break;
            case "B dims": model.Graph.Initializer.First(t => t.Name == node.Input[1]).Dims[1] += 1; break;
            case "block size": node.Attribute.First(a => a.Name == "block_size").I = 24; break;
            default: ms.Version = 2; break;
        }
        File.WriteAllBytes(file, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var check = OnnxChecker.Check(file);
        Assert.Contains(check.Problems, p => p.Contains(expected));
        var (code, stdout, _) = CliRunner.Run("check-onnx", file);
        Assert.Equal(1, code);
        Assert.Contains(expected, stdout);
    }

    /// <summary>
    /// One hub folder, several variants: an export adds its dtype without touching the others' files, refuses to replace
    /// its own dtype's graphs without --force, refuses another model's folder, and run commands pick by --dtype.
    /// </summary>
    [Fact]
    public void AHubFolderGathersVariantsAndRunCommandsPickOne()
    {
        using var dir = new TempDir();
        string folder = Export(dir, "pg2-tiny", OnnxWeights.Fp32);
        string fp32Data = Path.Combine(folder, "onnx", "decoder_model_merged.onnx_data");
        var before = File.ReadAllBytes(fp32Data);
        Export(dir, "pg2-tiny", new OnnxWeights(OnnxDType.Q4));
        Assert.Equal(before, File.ReadAllBytes(fp32Data));
        string npz = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var (code, _, stderr) = CliRunner.Run("export-onnx", npz, folder, "--layout", "split", "--dtype", "q4");
        Assert.Equal(2, code);
        Assert.Contains("already holds q4 graphs", stderr);
        (code, _, stderr) = CliRunner.Run("export-onnx", npz, folder, "--layout", "split", "--dtype", "q4", "--block-size", "16",
            "--force");
        Assert.True(code == 0, stderr);
        Assert.Equal([OnnxDType.Fp32, OnnxDType.Q4], OnnxLayout.SplitDTypes(folder));
        Assert.Equal(before, File.ReadAllBytes(fp32Data));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!["transformers.js_config"]!;
        Assert.Equal(6, config["use_external_data_format"]!.AsObject().Count);
        (code, _, stderr) = CliRunner.Run("export-onnx", TestPaths.Golden("pg1-tiny/params.f32.npz"), folder, "--layout", "split",
            "--dtype", "q8");
        Assert.Equal(2, code);
        Assert.Contains("holds another model's export", stderr);

        string inputs = TestPaths.Golden("pg2-tiny/inputs.npz");
        (code, var stdout, stderr) = CliRunner.Run("verify", npz, folder, "--dtype", "q4", "--inputs", inputs, "--mask-key",
            "mask_ar_prefixlm", "--min-top1", "0.9", "--max-kl", "1e-3");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("KL(source || target)", stdout);
        (code, stdout, _) = CliRunner.Run("verify", npz, folder, "--dtype", "q4", "--inputs", inputs, "--mask-key", "mask_ar_prefixlm");
        Assert.Equal(0, code); // the weights are proved the source's 4-bit encoding: the default bound is q4's, not atol
        Assert.Contains("the bound expected for q4", stdout);
        Export(dir, "pg2-tiny", new OnnxWeights(OnnxDType.Q8));
        File.Delete(Path.Combine(folder, "onnx", "vision_encoder.onnx")); // fp32 incomplete: q8 and q4 remain
        string[] logits = ["logits", folder, "--inputs", inputs, "--mask-key", "mask_ar_prefixlm", "--out", dir.File("l.npy")];
        (code, _, stderr) = CliRunner.Run(logits);
        Assert.Equal(2, code);
        Assert.Contains("holds several variants (q8, q4) and no fp32; name the one to run", stderr);
        (code, _, stderr) = CliRunner.Run([.. logits, "--dtype", "fp32"]);
        Assert.Equal(2, code);
        Assert.Contains("holds no fp32 graphs (it holds q8, q4)", stderr);
        (code, _, stderr) = CliRunner.Run([.. logits, "--dtype", "q8"]);
        Assert.True(code == 0, stderr);
    }
}
