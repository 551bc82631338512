using System.Text.Json;
using System.Text.Json.Nodes;
using PaliConvert.Formats.Npz;
using PaliConvert.Inference;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Export;

/// <summary>
/// The split export run by its real consumer, unmodified: transformers.js 4.3.1 on onnxruntime-node (pinned in
/// tests/js/package-lock.json; .ci/run installs it), from_pretrained on the export folder alone.
/// </summary>
public class TransformersJsTests
{
    /// <summary>Image row 0 and text row 0 of the golden inputs, as transformers.js takes them: image tokens first.</summary>
    private static (ModelInputs inputs, JsonObject json) Prompt(string model, int maxNewTokens)
    {
        var all = InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), "mask_ar_prefixlm");
        int t = all.TextLength, pixels = all.Height * all.Width * 3;
        var one = new ModelInputs(all.Image[..pixels], 1, all.Height, all.Width, all.Text[..t], t, new int[t]);
        var nchw = new float[pixels];
        for (int y = 0; y < all.Height; y++)
            for (int x = 0; x < all.Width; x++)
                for (int c = 0; c < 3; c++) nchw[(c * all.Height + y) * all.Width + x] = one.Image[(y * all.Width + x) * 3 + c];
        var ids = new JsonArray(Enumerable.Repeat(300, 16).Concat(one.Text).Select(v => JsonValue.Create(v)).ToArray<JsonNode?>());
        var json = new JsonObject
        {
            ["input_ids"] = new JsonArray(ids),
                ["pixel_values"] = new JsonArray(nchw.Select(v => JsonValue.Create(v)).ToArray<JsonNode?>()),
            ["pixel_shape"] = new JsonArray(1, 3, all.Height, all.Width), ["max_new_tokens"] = maxNewTokens,
        };
        return (one, json);
    }

    private static JsonNode Node(TempDir dir, string folder, string dtype, string mode, JsonObject inputs)
    {
        string input = dir.File($"{mode}-in.json"), output = dir.File($"{mode}-out.json");
        File.WriteAllText(input, inputs.ToJsonString());
        NodeScript.Run("run_model.mjs", folder, dtype, mode, input, output);
        return JsonNode.Parse(File.ReadAllText(output))!;
    }

    [Theory]
    [InlineData("pg1-tiny", "fp32", 1e-4), InlineData("pg2-tiny", "fp32", 1e-4), InlineData("pg1-tiny", "fp16", 2e-2),
        InlineData("pg2-tiny", "fp16", 2e-2)]
    public void FromPretrainedForwardAndGreedyGenerateMatchTheReference(string model, string dtype, double tolerance)
    {
        using var dir = new TempDir();
        string npz = TestPaths.Golden($"{model}/params.f32.npz");
        string folder = ExportOnnx.Run(new ExportOnnxOptions(npz, dir.File("export"), TestPaths.Mappings,
            new PaliConvert.Export.OnnxWeights(PaliConvert.Export.OnnxDTypes.Parse(dtype)!.Value),
            Layout: PaliConvert.Export.OnnxLayoutKind.Split));
        var (prompt, json) = Prompt(model, maxNewTokens: 6);

        // one forward over image + text: every position is prefix, as golden's fullprefix logits
        var forward = Node(dir, folder, dtype, "forward", json);
        var dims = forward["dims"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
        var logits = forward["logits"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        var golden = NpyFile.ReadF32(TestPaths.Golden($"{model}/logits.jax.f32.fullprefix.npy")).values;
        double max = 0;
        for (int p = 0; p < prompt.TextLength; p++)
            for (int v = 0; v < 300; v++) max = Math.Max(max, Math.Abs(golden[p * 300 + v] - logits[(16 + p) * dims[2] + v]));
        Assert.True(max <= tolerance, $"transformers.js logits are {max} from golden's");

        // greedy generate() against the reference pass's greedy tokens on the jax2hf folder (the same padded vocabulary)
        var generated = Node(dir, folder, dtype, "generate",
            json)["sequences"]![0]!.AsArray().Select(v => v!.GetValue<int>()).Skip(16).ToList();
        string hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings));
        Assert.Equal(Greedy(hf, prompt, 6), generated);
    }

    /// <summary>
    /// The quantized variants in one hub folder beside fp32: transformers.js loads each by its dtype name and its forward
    /// logits equal ONNX Runtime's (C#) on the same graphs within 1e-3 (onnxruntime-node 1.30 and the C# 1.31 may round
    /// differently in their integer and 4-bit kernels), q4f16's within two f16 steps of the largest logit (its matmuls
    /// round their outputs to f16); generate() runs, its first new token the forward pass's argmax.
    /// </summary>
    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void QuantizedVariantsRunInTransformersJs(string model)
    {
        using var dir = new TempDir();
        string folder = QuantizedExportTests.Export(dir, model, PaliConvert.Export.OnnxWeights.Fp32);
        var (prompt, json) = Prompt(model, maxNewTokens: 3);
        var allPrefix = prompt with { MaskAr = new int[prompt.TextLength] };
        foreach (var d in new[] { PaliConvert.Export.OnnxDType.Q8, PaliConvert.Export.OnnxDType.Q4, PaliConvert.Export.OnnxDType.Q4F16 })
        {
            QuantizedExportTests.Export(dir, model, new PaliConvert.Export.OnnxWeights(d));
            string name = PaliConvert.Export.OnnxDTypes.Name(d);
            var forward = Node(dir, folder, name, "forward", json);
            int vocab = forward["dims"]![2]!.GetValue<int>();
            var logits = forward["logits"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
            var (ort, ortVocab) = PaliConvert.Validation.OnnxRunner.Run(folder, allPrefix, d);
            Assert.Equal(ortVocab, vocab);
            double max = 0;
            for (int i = 0; i < ort.Length; i++) max = Math.Max(max, Math.Abs(ort[i] - logits[16 * vocab + i]));
            double bound = d == PaliConvert.Export.OnnxDType.Q4F16 ? 2 * Math.Pow(2, -10) * ort.Max(Math.Abs) : 1e-3;
            Assert.True(max <= bound, $"{name}: transformers.js logits are {max} from ONNX Runtime's (bound {bound})");
            var generated = Node(dir, folder, name, "generate", json)["sequences"]![0]!.AsArray().Select(v => v!.GetValue<int>()).ToList();
            Assert.Equal(16 + prompt.TextLength + 3, generated.Count);
            var last = ort.AsSpan((prompt.TextLength - 1) * vocab, vocab);
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(last), generated[16 + prompt.TextLength]);
        }
    }

    /// <summary>
    /// A tokenizer trained here (300 pieces, the golden model's vocabulary) goes through jax2hf --tokenizer, then the HF
    /// folder through export-onnx, which carries the processor files: AutoProcessor and generate() on a PNG and a
    /// prompt, from the export folder alone, give the reference pass's greedy tokens for the same ids and pixels.
    /// </summary>
    [Fact]
    public void AutoProcessorAndGenerateRunFromTheExportFolderAlone()
    {
        using var dir = new TempDir();
        string corpus = Formats.SentencePiece.TokenizerJsonTests.Corpus(dir, asciiOnly: true);
        string tokenizer = Formats.SentencePiece.TokenizerJsonTests.Train(dir, corpus, "tok", 300, byteFallback: true);
        string hf = Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg2-tiny/params.f32.npz"), dir.File("hf"), TestPaths.Mappings,
            Tokenizer: tokenizer));
        string folder = ExportOnnx.Run(new ExportOnnxOptions(hf, dir.File("export"), TestPaths.Mappings,
            Layout: PaliConvert.Export.OnnxLayoutKind.Split));
        foreach (var f in PaliConvert.Models.ProcessorFiles.Names) Assert.True(File.Exists(Path.Combine(folder, f)), f);
        var rng = new Random(3);
        string png = Png.Write(dir.File("image.png"), 56, 56, (_, _) => ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        string output = dir.File("processor.json");
        NodeScript.Run("processor.mjs", folder, "fp32", png, "caption the red dog", "6", output);
        var o = JsonNode.Parse(File.ReadAllText(output))!;
        var ids = o["input_ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        Assert.Equal(Enumerable.Repeat(300, 16), ids[..16]); // image_seq_length <image> tokens, then <bos>, the prompt and "\n"
        Assert.Equal(2, ids[16]);
        var promptIds = JsonNode.Parse(TestPaths.Python("spm_oracle.py", "encode", tokenizer,
            Strings(dir, "caption the red dog\n")))![0]!["ids"]!;
        Assert.Equal(promptIds.AsArray().Select(v => v!.GetValue<int>()), ids[17..]);
        var pixels = o["pixel_values"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(); // NCHW [1, 3, 56, 56]
        var nhwc = new float[pixels.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 56; y++)
                for (int x = 0; x < 56; x++) nhwc[(y * 56 + x) * 3 + c] = pixels[(c * 56 + y) * 56 + x];
        var text = ids[16..];
        var prompt = new ModelInputs(nhwc, 1, 56, 56, text, text.Length, new int[text.Length]);
        var generated = o["sequences"]!.AsArray().Select(v => v!.GetValue<int>()).Skip(16).ToList();
        Assert.Equal(Greedy(hf, prompt, 6), generated);

        // back to big_vision, the SentencePiece model travels beside the checkpoint
        string npz = Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("back.npz"), TestPaths.Mappings));
        Assert.Equal(File.ReadAllBytes(tokenizer), File.ReadAllBytes(dir.File("back.tokenizer.model")));
        Assert.True(File.Exists(npz));
    }

    [Fact]
    public void ATokenizerOfAnotherSizeIsRefusedAndAMissingOneNoted()
    {
        using var dir = new TempDir();
        string tokenizer = Formats.SentencePiece.TokenizerJsonTests.Train(dir,
            Formats.SentencePiece.TokenizerJsonTests.Corpus(dir, asciiOnly: true), "tok", 290, byteFallback: true);
        var e = Assert.Throws<BadInputException>(() => Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg2-tiny/params.f32.npz"),
            dir.File("hf"), TestPaths.Mappings, Tokenizer: tokenizer)));
        Assert.Contains($"{tokenizer}: the tokenizer has 290 pieces but the model's text vocabulary is 300", e.Message);
        Assert.False(Directory.Exists(dir.File("hf")));
        var (code, _, stderr) = CliRunner.Run("jax2hf", TestPaths.Golden("pg2-tiny/params.f32.npz"), dir.File("hf2"));
        Assert.True(code == 0, stderr);
        Assert.Contains("has no tokenizer or processor files", stderr);
    }

    private static string Strings(TempDir dir, params string[] strings)
    {
        string path = dir.File("strings.json");
        File.WriteAllText(path, JsonSerializer.Serialize(strings));
        return path;
    }

    /// <summary>The prompt as prefix, each new token causal, argmax over every row of the output embedding; eos (1) stops.</summary>
    private static List<int> Greedy(string model, ModelInputs prompt, int steps)
    {
        var ids = prompt.Text.ToList();
        for (int s = 0; s < steps; s++)
        {
            var mask = Enumerable.Repeat(0, prompt.TextLength).Concat(Enumerable.Repeat(1, s)).ToArray();
            var (logits, vocab) = ModelRuns.Reference(model, prompt with { Text = [.. ids], TextLength = ids.Count, MaskAr = mask });
            var last = logits.AsSpan((ids.Count - 1) * vocab, vocab);
            int next = last.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(last));
            ids.Add(next);
            if (next == 1) break;
        }
        return ids;
    }
}
