using Microsoft.ML.OnnxRuntime;
using PaliConvert.Inference;

namespace PaliConvert.Validation;

/// <summary>Runs an exported model.onnx in ONNX Runtime (CPU) on big_vision-style inputs.</summary>
public static class OnnxRunner
{
    public static (float[] logits, int vocab) Run(string modelPath, ModelInputs input)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such ONNX model");
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(modelPath, options);
        int b = input.Batch, h = input.Height, w = input.Width, t = input.TextLength;
        var nchw = new float[b * 3 * h * w];
        for (int bi = 0; bi < b; bi++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++)
                        nchw[((bi * 3 + c) * h + y) * w + x] = input.Image[((bi * h + y) * w + x) * 3 + c];
        using var pixels = OrtValue.CreateTensorValueFromMemory(nchw, [b, 3, h, w]);
        using var ids = OrtValue.CreateTensorValueFromMemory(input.Text.Select(v => (long)v).ToArray(), [b, t]);
        using var types = OrtValue.CreateTensorValueFromMemory(input.MaskAr.Select(v => (long)v).ToArray(), [b, t]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["pixel_values", "input_ids", "token_type_ids"], [pixels, ids, types], ["logits"]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), (int)shape[2]);
    }
}
