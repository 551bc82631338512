using System.Text.Json;
using PaliConvert.Export;
using PaliConvert.Formats.Npz;
using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using PaliConvert.Validation;

namespace PaliConvert.Tests;

/// <summary>Logits of a model by each engine (the reference pass, ONNX Runtime, the numpy oracle), and their comparison.</summary>
public static class ModelRuns
{
    public static ModelInputs GoldenInputs(string model, string mask = "prefixlm") =>
        InputsFile.Load(TestPaths.Golden($"{model}/inputs.npz"), $"mask_ar_{mask}");

    public static (float[] logits, int vocab) Reference(string path, ModelInputs inputs, StatedFacts? stated = null)
    {
        using var m = LoadedModel.Open(path, stated);
        var r = new PaliGemmaForward(m.Weights).Run(inputs);
        return (r.Logits, r.Vocab);
    }

    /// <summary>Exports the model (either format) into <paramref name="dir"/> and runs it in ONNX Runtime.</summary>
    public static (float[] logits, int vocab) Onnx(
        string path,
        TempDir dir,
        ModelInputs inputs,
        StatedFacts? stated = null,
        OnnxLayoutKind layout = OnnxLayoutKind.Single
    )
    {
        string folder = dir.File($"onnx-{Guid.NewGuid():N}");
        ExportOnnx.Run(new ExportOnnxOptions(path, folder, TestPaths.Mappings, Layout: layout, Stated: stated));
        return OnnxRunner.Run(layout == OnnxLayoutKind.Single ? Path.Combine(folder, OnnxLayout.ModelFile) : folder, inputs);
    }

    /// <summary>tests/oracle/forward_oracle.py on a big_vision checkpoint with the facts stated.</summary>
    public static (float[] logits, int vocab) Oracle(string npz, string model, string mask, TempDir dir, object facts)
    {
        string output = dir.File($"oracle-{Guid.NewGuid():N}.npy");
        TestPaths.Python(
            "forward_oracle.py",
            npz,
            TestPaths.Golden($"{model}/inputs.npz"),
            $"mask_ar_{mask}",
            output,
            JsonSerializer.Serialize(facts)
        );
        var (shape, values) = NpyFile.ReadF32(output);
        return (values, (int)shape[2]);
    }

    /// <summary>Facts for the oracle, as the golden models have them unless changed.</summary>
    public static Dictionary<string, object> GoldenFacts(string model) =>
        new()
        {
            ["eps"] = 1e-6,
            ["vision_eps"] = 1e-6,
            ["theta"] = 10000.0,
            ["query_scalar"] = 16.0,
            ["attn_softcap"] = model == "pg2-tiny" ? 50.0 : 0.0,
            ["window"] = 0,
            ["layer_types"] =
                model == "pg2-tiny" ? new[] { "sliding_attention", "full_attention" } : new[] { "full_attention", "full_attention" },
        };

    /// <summary>max |a - b| over the vocabulary both share (an HF model's padded rows are left out).</summary>
    public static double MaxAbs((float[] logits, int vocab) a, (float[] logits, int vocab) b)
    {
        int v = Math.Min(a.vocab, b.vocab),
            rows = a.logits.Length / a.vocab;
        Assert.Equal(rows, b.logits.Length / b.vocab);
        double m = 0;
        for (int r = 0; r < rows; r++)
        for (int i = 0; i < v; i++)
            m = Math.Max(m, Math.Abs(a.logits[r * a.vocab + i] - b.logits[r * b.vocab + i]));
        return m;
    }

    /// <summary>max |a - b| of two arrays of equal length.</summary>
    public static double MaxAbs(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++)
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
