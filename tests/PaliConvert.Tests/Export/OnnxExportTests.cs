using Google.Protobuf;
using PaliConvert.Export;
using PaliConvert.Tensors;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Onnx;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Inference;
using PaliConvert.Pipeline;
using PaliConvert.Tests.Cli;
using PaliConvert.Tests.Inference;
using PaliConvert.Validation;

namespace PaliConvert.Tests.Export;

public class OnnxExportTests
{
    private static string Mappings => Path.Combine(TestPaths.Root, "mappings");

    private static string Export(TempDir dir, string source, string dtype = "f32", string name = "onnx") =>
        Path.Combine(ExportOnnx.Run(new ExportOnnxOptions(source, dir.File(name), Mappings, Weights(dtype))),
            OnnxLayout.ModelFile);

    private static OnnxWeights Weights(string dtype) => new(OnnxDTypes.Parse(dtype)!.Value);

    public static TheoryData<string, string, string> Sources()
    {
        var d = new TheoryData<string, string, string>();
        foreach (var m in TestPaths.Cases)
            foreach (var (src, logits) in new[] { ("params.f32.npz", "f32"), ("hf-legacy", "f32"), ("params.bf16.npz", "bf16") })
                foreach (var mask in new[] { "prefixlm", "causal" })
                    d.Add(m, src, $"logits.jax.{logits}.{mask}.npy");
        return d;
    }

    [Theory, MemberData(nameof(Sources))]
    public void OnnxRuntimeLogitsMatchTheGoldenLogits(string model, string source, string golden)
    {
        using var dir = new TempDir();
        var onnx = Export(dir, TestPaths.Golden($"{model}/{source}"));
        string mask = golden.Split('.')[3];
        var (logits, vocab) = OnnxRunner.Run(onnx, InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), $"mask_ar_{mask}"));
        Assert.Equal(320, vocab); // the hub's padded vocabulary
        var expected = NpyFile.ReadF32(TestPaths.Golden($"{model}/{golden}")).values;
        double max = 0;
        for (int p = 0; p < 14; p++)
            for (int v = 0; v < 300; v++) max = Math.Max(max, Math.Abs(expected[p * 300 + v] - logits[p * 320 + v]));
        Assert.InRange(max, 0, 1e-4);
        Assert.True(OnnxChecker.Check(onnx).Ok);
    }

    /// <summary>
    /// f16 export: the export itself adds nothing (ONNX Runtime equals the reference pass over the same f16 weights to
    /// 1e-4); against the f32 source the difference is f16's rounding of the weights (unit roundoff 2^-11 = 4.9e-4),
    /// so the stated tolerance is relative: max |diff| &lt;= 2e-3 x max |logit|, with top-1 agreement kept.
    /// </summary>
    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void F16ExportComputesWhatItsF16WeightsDo(string model)
    {
        using var dir = new TempDir();
        var hf16 = Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden($"{model}/params.f32.npz"), dir.File("hf16"), Mappings,
            DType: OutputDType.F16));
        var onnx = Export(dir, hf16, "f16");
        // weights take half the bytes of an f32 export (the files differ less: each weight is padded to 4096 bytes)
        Assert.Equal(OnnxChecker.Check(Export(dir, hf16, "f32", "onnx32")).ExternalBytes, 2 * OnnxChecker.Check(onnx).ExternalBytes);
        var inputs = TestPaths.Golden($"{model}/inputs.npz");
        var same = Verify.Run(new VerifyOptions(hf16, onnx, inputs, "mask_ar_prefixlm"));
        Assert.True(same.Summary.Passed, same.ToText());
        var vsF32 = Verify.Run(new VerifyOptions(TestPaths.Golden($"{model}/params.f32.npz"), onnx, inputs, "mask_ar_prefixlm"));
        var reference = NpyFile.ReadF32(TestPaths.Golden($"{model}/logits.jax.f32.prefixlm.npy")).values.Max(Math.Abs);
        Assert.InRange(vsF32.Summary.MaxAbsDiff, 0, 2e-3 * reference);
        Assert.Equal(1.0, vsF32.Summary.Top1Agreement);
    }

    [Fact]
    public void WeightsAreExternal4096AlignedAndRelative()
    {
        using var dir = new TempDir();
        var onnx = Export(dir, TestPaths.Golden("pg2-tiny/params.mixed.npz"));
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal(10, model.IrVersion);
        Assert.Equal(23, model.OpsetImport.Single().Version);
        var external = model.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        Assert.NotEmpty(external);
        Assert.All(external, t =>
        {
            var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal("model.onnx.data", kv["location"]);
            Assert.Equal(0, long.Parse(kv["offset"]) % 4096);
            Assert.Equal(1, t.DataType); // mixed f16/f32 source exported as f32
        });
        Assert.Equal(["pixel_values", "input_ids", "token_type_ids"], model.Graph.Input.Select(i => i.Name));
        Assert.Equal("batch", model.Graph.Input[1].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("text_length", model.Graph.Input[1].Type.TensorType.Shape.Dim[1].DimParam);
        Assert.Equal("logits", model.Graph.Output.Single().Name);
    }

    /// <summary>Hostile edits of a sound export: each must be named by the checker.</summary>
    [Theory]
    [InlineData("undefined input", "reads 'nowhere'")]
    [InlineData("misaligned offset", "is not aligned to 4096")]
    [InlineData("offset past the end", "lie outside 'model.onnx.data'")]
    [InlineData("wrong length", "its dims need")]
    [InlineData("escaping location", "must be relative to the model's folder")]
    [InlineData("absolute location", "must be relative to the model's folder")]
    [InlineData("inline size", "holds 3 bytes")]
    public void CheckerNamesEachStructuralProblem(string damage, string expected)
    {
        using var dir = new TempDir();
        var onnx = Export(dir, TestPaths.Golden("pg1-tiny/params.f32.npz"));
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var ext = model.Graph.Initializer.First(t => t.DataLocation == TensorProto.Types.DataLocation.External
            && t.Dims.Aggregate(1L, (a, b) => a * b) > 1);
        StringStringEntryProto Entry(string key) => ext.ExternalData.Single(e => e.Key == key);
        switch (damage)
        {
            case "undefined input": model.Graph.Node[5].Input[0] = "nowhere"; break;
            case "misaligned offset": Entry("offset").Value = "4100"; break;
            case "offset past the end": Entry("offset").Value = (new FileInfo(onnx + ".data").Length / 4096 * 4096).ToString(); break;
            case "wrong length": Entry("length").Value = (long.Parse(Entry("length").Value) - 4).ToString(); break;
            case "escaping location": Entry("location").Value = "../model.onnx.data"; break;
            case "absolute location": Entry("location").Value = "/etc/passwd"; break;
            default:
                var inline = model.Graph.Initializer.First(t => t.DataLocation == TensorProto.Types.DataLocation.Default);
                inline.RawData = ByteString.CopyFrom(1, 2, 3);
                break;
        }
        File.WriteAllBytes(onnx, model.ToByteArray());
        var check = OnnxChecker.Check(onnx);
        Assert.False(check.Ok);
        Assert.Contains(check.Problems, p => p.Contains(expected));
        var (code, stdout, _) = CliRunner.Run("check-onnx", onnx);
        Assert.Equal(1, code);
        Assert.Contains(expected, stdout);
    }

    [Fact]
    public void VerifyWithTheOnnxEngineExportsAndCompares()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "paliconvert-verify-*").ToHashSet();
        var (code, stdout, stderr) = CliRunner.Run("verify", TestPaths.Golden("pg2-tiny/params.f32.npz"),
            TestPaths.Golden("pg2-tiny/params.f32.npz"), "--engine", "onnx");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("ONNX Runtime", stdout);
        Assert.Contains("PASS", stdout);
        Assert.Subset(before, Directory.GetDirectories(Path.GetTempPath(), "paliconvert-verify-*").ToHashSet()); // its export is removed
    }

    [Fact]
    public void LogitsCommandRunsAnOnnxModel()
    {
        using var dir = new TempDir();
        var onnx = Export(dir, TestPaths.Golden("pg1-tiny/hf"));
        var (code, _, stderr) = CliRunner.Run("logits", onnx, "--inputs", TestPaths.Golden("pg1-tiny/inputs.npz"), "--mask-key",
            "mask_ar_fullprefix", "--out", dir.File("l.npy"));
        Assert.True(code == 0, stderr);
        var (shape, ours) = NpyFile.ReadF32(dir.File("l.npy"));
        Assert.Equal(new long[] { 2, 7, 320 }, shape);
        var golden = NpyFile.ReadF32(TestPaths.Golden("pg1-tiny/logits.jax.f32.fullprefix.npy")).values;
        Assert.InRange(ModelRuns.MaxAbs(golden, Enumerable.Range(0, 14 * 300).Select(i => ours[i / 300 * 320 + i % 300]).ToArray()), 0,
            1e-4);
    }

    [Theory]
    [InlineData("--dtype", "bf16", "'bf16' not recognized"), InlineData("--block-size", "24", "block size 24: MatMulNBits takes 16")]
    public void UnrunnableWeightTypesAreRefusedWithAReason(string option, string value, string expected)
    {
        using var dir = new TempDir();
        string[] q4 = option == "--dtype" ? [] : ["--dtype", "q4"];
        var (code, _, stderr) = CliRunner.Run(["export-onnx", TestPaths.Golden("pg1-tiny/hf"), dir.File("onnx"), .. q4, option, value]);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.False(Directory.Exists(dir.File("onnx")));
    }

    [Theory]
    [InlineData("pg1-tiny", "f32"), InlineData("pg2-tiny", "f32"), InlineData("pg2-tiny", "f16")]
    public void SplitLayoutIsAHubFolderThatChainedCallsRunAsPrefixLm(string model, string dtype)
    {
        using var dir = new TempDir();
        var folder = ExportOnnx.Run(new ExportOnnxOptions(TestPaths.Golden($"{model}/params.f32.npz"), dir.File("split"), Mappings,
            Weights(dtype), Layout: OnnxLayoutKind.Split));
        string suffix = dtype == "f16" ? "_fp16" : "";
        Assert.Equal(["config.json", "generation_config.json"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(new[] { "decoder_model_merged", "embed_tokens", "vision_encoder" }
                .SelectMany(n => new[] { $"{n}{suffix}.onnx", $"{n}{suffix}.onnx_data" }),
            Directory.GetFiles(Path.Combine(folder, "onnx")).Select(Path.GetFileName).Order());
        foreach (var f in Directory.GetFiles(Path.Combine(folder, "onnx"), "*.onnx")) Assert.True(OnnxChecker.Check(f).Ok, f);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        var external = config["transformers.js_config"]!["use_external_data_format"]!;
        Assert.Equal(1, external[$"decoder_model_merged{suffix}.onnx"]!.GetValue<int>());
        var decoder = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "onnx", $"decoder_model_merged{suffix}.onnx")));
        Assert.Equal(["inputs_embeds", "attention_mask", "position_ids"], decoder.Graph.Input.Take(3).Select(i => i.Name));
        Assert.DoesNotContain(decoder.Graph.Input, i => i.Name == "token_type_ids");
        var past = decoder.Graph.Input.First(i => i.Name == "past_key_values.1.value").Type.TensorType.Shape.Dim;
        Assert.Equal(["batch_size", "", "past_sequence_length", ""], past.Select(d => d.DimParam));
        Assert.Contains(decoder.Graph.Output, o => o.Name == "present.0.key");
        // image + prefix in one call, then each suffix token with the cache: big_vision's prefix-LM
        var (logits, vocab) = OnnxRunner.RunSplit(folder, InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), "mask_ar_prefixlm"));
        var golden = NpyFile.ReadF32(TestPaths.Golden($"{model}/logits.jax.f32.prefixlm.npy")).values;
        double max = 0;
        for (int p = 0; p < 14; p++)
            for (int v = 0; v < 300; v++) max = Math.Max(max, Math.Abs(golden[p * 300 + v] - logits[p * vocab + v]));
        Assert.InRange(max, 0, dtype == "f16" ? 5e-2 : 1e-4);
    }
}
