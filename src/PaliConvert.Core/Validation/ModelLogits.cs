using PaliConvert.Inference;

namespace PaliConvert.Validation;

/// <summary>Text logits of any model kind: .onnx through ONNX Runtime, checkpoints through the reference forward pass.</summary>
public static class ModelLogits
{
    /// <summary>An .onnx file, or a folder holding the split layout.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
        || Export.OnnxLayout.IsSplitFolder(path);

    public static (float[] logits, int vocab) Run(string model, ModelInputs input, IProgress<(string, double)>? progress = null,
        Models.StatedFacts? stated = null, Export.OnnxDType? dtype = null, IO.RunScope? scope = null)
    {
        if (IsOnnx(model)) return OnnxRunner.Run(model, input, dtype);
        using var m = LoadedModel.Open(model, stated, scope);
        var r = new PaliGemmaForward(m.Weights, progress).Run(input);
        return (r.Logits, r.Vocab);
    }
}
