using PaliConvert.Inference;

namespace PaliConvert.Validation;

/// <summary>Text logits of any model kind: .onnx through ONNX Runtime, checkpoints through the reference forward pass.</summary>
public static class ModelLogits
{
    /// <summary>An .onnx file, or a folder holding the split layout.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
        || Export.OnnxLayout.IsSplitFolder(path);

    public static (float[] logits, int vocab) Run(string model, ModelInputs input, IProgress<(string, double)>? progress = null,
        Models.StatedFacts? stated = null, Export.OnnxDType? dtype = null, IO.RunScope? scope = null, AdapterInput? adapter = null)
    {
        if (IsOnnx(model)) return adapter == null ? OnnxRunner.Run(model, input, dtype) : throw AdapterOnOnnx(model);
        using var m = LoadedModel.Open(model, stated, scope, adapter);
        var r = new PaliGemmaForward(m.Weights, progress).Run(input);
        return (r.Logits, r.Vocab);
    }

    /// <summary>An adapter given with an ONNX model, which holds weights already merged or not at all.</summary>
    public static BadInputException AdapterOnOnnx(string model) => new(model, $"{model}: an adapter is merged into a checkpoint; " +
        "an ONNX model cannot take one (export the checkpoint with its adapter instead)");
}
