using Microsoft.ML.OnnxRuntime;
using PaliConvert.Inference;

namespace PaliConvert.Validation;

/// <summary>Runs an exported model.onnx in ONNX Runtime (CPU) on big_vision-style inputs.</summary>
public static class OnnxRunner
{
    /// <summary>A model.onnx, or a split hub folder's <paramref name="dtype"/> variant (default: fp32, or the only one).</summary>
    public static (float[] logits, int vocab) Run(string modelPath, ModelInputs input, Export.OnnxDType? dtype = null)
    {
        if (Export.OnnxLayout.IsSplitFolder(modelPath)) return RunSplit(modelPath, input, dtype);
        if (!File.Exists(modelPath)) throw new BadInputException(modelPath, $"{modelPath}: no such ONNX model");
        return Refused(modelPath, () => RunSingle(modelPath, input));
    }

    /// <summary>
    /// ONNX Runtime's own failures (a damaged graph, a missing data file, inputs it rejects) as bad input naming the model.
    /// </summary>
    internal static T Refused<T>(string model, Func<T> run)
    {
        try { return run(); }
        catch (OnnxRuntimeException e) { throw new BadInputException(model, $"{model}: ONNX Runtime cannot run it: {e.Message}"); }
    }

    private static (float[] logits, int vocab) RunSingle(string modelPath, ModelInputs input)
    {
        using var session = Session(modelPath);
        SplitRunner.ImageSize(modelPath, session, input);
        foreach (var name in new[] { "input_ids", "token_type_ids" }) SplitGraphs.Shape(modelPath, session.InputMetadata, name, 2, "input");
        SplitGraphs.Shape(modelPath, session.OutputMetadata, "logits", 3, "output");
        int b = input.Batch, h = input.Height, w = input.Width, t = input.TextLength;
        using var pixels = OrtValue.CreateTensorValueFromMemory(Nchw(input), [b, 3, h, w]);
        using var ids = OrtValue.CreateTensorValueFromMemory(input.Text.Select(v => (long)v).ToArray(), [b, t]);
        using var types = OrtValue.CreateTensorValueFromMemory(input.MaskAr.Select(v => (long)v).ToArray(), [b, t]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["pixel_values", "input_ids", "token_type_ids"], [pixels, ids, types], ["logits"]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), (int)shape[2]);
    }

    internal static InferenceSession Session(string path)
    {
        Tensors.RegularFile.Require(path);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(path, options);
    }

    internal static float[] Nchw(ModelInputs input)
    {
        int b = input.Batch, h = input.Height, w = input.Width;
        var nchw = new float[b * 3 * h * w];
        for (int bi = 0; bi < b; bi++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++)
                        nchw[((bi * 3 + c) * h + y) * w + x] = input.Image[((bi * h + y) * w + x) * 3 + c];
        return nchw;
    }

    /// <summary>The split layout in a hub folder, chained as transformers.js runs it: see <see cref="SplitRunner"/>.</summary>
    public static (float[] logits, int vocab) RunSplit(string folder, ModelInputs input, Export.OnnxDType? dtype = null) =>
        Refused(folder, () => SplitRunner.Run(folder, Export.OnnxLayout.PickDType(folder, dtype), input, Session));
}
