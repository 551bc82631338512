using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Validation;

/// <summary>Models that are not what they claim: a hub folder of mixed graphs, a variant misnamed, a short vocabulary.</summary>
public class SplitGraphsTests
{
    private static string Export(TempDir dir, string model, string name, string dtype = "fp32")
    {
        var (code, _, stderr) = CliRunner.Run("export-onnx", TestPaths.Golden(model), dir.File(name), "--layout", "split", "--dtype",
            dtype, "--force");
        Assert.True(code == 0, stderr);
        return dir.File(name);
    }

    private static (int code, string stderr) Logits(TempDir dir, string folder, string model)
    {
        var (code, _, stderr) = CliRunner.Run("logits", folder, "--inputs", TestPaths.Golden($"{model}/inputs.npz"), "--mask-key",
            "mask_ar_prefixlm", "--out", dir.File($"l-{Guid.NewGuid():N}.npy"));
        return (code, stderr);
    }

    [Fact]
    public void GraphsOfTwoModelsInOneFolderAreRefusedBeforeTheyRun()
    {
        using var dir = new TempDir();
        string a = Export(dir, "pg1-tiny/params.f32.npz", "a"), b = Export(dir, "pg1-tiny/params.bf16.npz", "b");
        Assert.Equal(0, Logits(dir, a, "pg1-tiny").code);
        foreach (var f in new[] { "embed_tokens.onnx", "embed_tokens.onnx_data" })
            File.Copy(Path.Combine(b, "onnx", f), Path.Combine(a, "onnx", f), overwrite: true);
        var (code, stderr) = Logits(dir, a, "pg1-tiny");
        Assert.Equal(2, code);
        Assert.Contains("graphs come from different weights", stderr);
    }

    [Fact]
    public void AQuantizedDecoderNamedAsTheFp32OneIsRefused()
    {
        using var dir = new TempDir();
        string a = Export(dir, "pg2-tiny/params.f32.npz", "a");
        Export(dir, "pg2-tiny/params.f32.npz", "a", "q4"); // adds the q4 variant beside
        File.Copy(Path.Combine(a, "onnx", "decoder_model_merged_q4.onnx"), Path.Combine(a, "onnx", "decoder_model_merged.onnx"), true);
        var (code, stderr) = Logits(dir, a, "pg2-tiny");
        Assert.Equal(2, code);
        Assert.Contains("decoder_model_merged.onnx: is named as the fp32 variant but holds f16 or quantized weights", stderr);
    }

    [Fact]
    public void ATargetWithAShorterVocabularyIsNotTheSameModel()
    {
        using var dir = new TempDir();
        string hf = dir.File("short");
        Directory.CreateDirectory(hf);
        using (var src = KeySpelling.OpenHf(TestPaths.Golden("pg1-tiny/hf")))
        using (var fs = File.Create(Path.Combine(hf, "model.safetensors")))
        {
            long[] Shape(TensorInfo t) => t.Name.EndsWith("embed_tokens.weight") ? [10, t.Shape[1]] : t.Shape;
            fs.Write(SafetensorsFile.BuildHeader(src.Tensors.Select(t => (t.Name, t.DType, Shape(t))), null));
            foreach (var t in src.Tensors) fs.Write(t.Data.Span(0, (int)PaliConvert.Tensors.Shape.Bytes(Shape(t), t.DType)));
        }
        var config = File.ReadAllText(TestPaths.Golden("pg1-tiny/hf/config.json"));
        File.WriteAllText(Path.Combine(hf, "config.json"), config.Replace("\"vocab_size\": 320", "\"vocab_size\": 10")
            .Replace("\"image_token_index\": 300", "\"image_token_index\": 9"));
        var (code, _, stderr) = CliRunner.Run("verify", TestPaths.Golden("pg1-tiny/params.f32.npz"), hf);
        Assert.True(code == 2, stderr);
        Assert.Contains("fewer than the source's 300 text tokens: not the same model", stderr);
    }
}
