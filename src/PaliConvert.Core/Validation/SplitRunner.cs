using Microsoft.ML.OnnxRuntime;
using PaliConvert.Export;
using PaliConvert.Inference;

namespace PaliConvert.Validation;

/// <summary>
/// The split layout chained as transformers.js chains it: image features and token embeddings placed into one
/// sequence, then the decoder called once per mask group with the cache of the calls before. A group is the image with
/// the prefix (mask_ar 0), then each causal token with any 0s after it: a call's tokens see each other and the whole
/// cache, so this is big_vision's prefix-LM exactly. Batch rows run one at a time (their groups may differ).
/// </summary>
internal static class SplitRunner
{
    public static (float[] logits, int vocab) Run(string folder, OnnxDType storage, ModelInputs input,
        Func<string, InferenceSession> open)
    {
        using var vision = open(Path.Combine(folder, OnnxLayout.SplitFile(OnnxLayout.Vision, storage)));
        using var embed = open(Path.Combine(folder, OnnxLayout.SplitFile(OnnxLayout.Embed, storage)));
        using var decoder = open(Path.Combine(folder, OnnxLayout.SplitFile(OnnxLayout.Decoder, storage)));
        SplitGraphs.Check(folder, storage, vision, embed, decoder);
        ImageSize(Path.Combine(folder, OnnxLayout.SplitFile(OnnxLayout.Vision, storage)), vision, input);
        int t = input.TextLength, vocab = 0;
        float[] all = [];
        var pixels = OnnxRunner.Nchw(input);
        int perImage = pixels.Length / input.Batch;
        for (int b = 0; b < input.Batch; b++)
        {
            var image = Run(vision, "pixel_values", pixels.AsSpan(b * perImage, perImage).ToArray(), [1, 3, input.Height, input.Width],
                "image_features");
            SplitGraphs.ImageTokens(folder, decoder, image.shape);
            var text = Run(embed, "input_ids", input.Text.Skip(b * t).Take(t).Select(v => (long)v).ToArray(), [1, t], "inputs_embeds");
            var (logits, v) = Decode(decoder, image, text, input.MaskAr.AsSpan(b * t, t).ToArray());
            vocab = v;
            all = [.. all, .. logits];
        }
        return (all, vocab);
    }

    /// <summary>The inputs' image size against the one the graph's pixel_values input takes.</summary>
    internal static void ImageSize(string file, InferenceSession s, ModelInputs input)
    {
        var dims = SplitGraphs.Shape(file, s.InputMetadata, "pixel_values", 4, "input");
        if ((dims[2] > 0 && dims[2] != input.Height) || (dims[3] > 0 && dims[3] != input.Width))
            throw new BadInputException(file, $"{file}: takes {dims[2]}x{dims[3]} px images (its pixel_values input) but the inputs hold " +
                $"{input.Height}x{input.Width}; give inputs at the model's image size", "pixel_values");
    }

    internal static (float[] data, long[] shape) Run<T>(InferenceSession s, string name, T[] data, long[] shape, string output)
        where T : unmanaged
    {
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var run = new RunOptions();
        using var o = s.Run(run, [name], [value], [output]);
        return (o[0].GetTensorDataAsSpan<float>().ToArray(), o[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>The text positions' logits [T, V] of one batch row.</summary>
    private static (float[] logits, int vocab) Decode(InferenceSession decoder, (float[] data, long[] shape) image,
        (float[] data, long[] shape) text, int[] maskAr)
    {
        int tokens = (int)image.shape[1], w = (int)image.shape[2], t = maskAr.Length;
        float[] sequence = [.. image.data, .. text.data];
        var chain = new SplitDecoder(decoder);
        var logits = new List<float>();
        int vocab = 0;
        for (int start = 0; start < tokens + t;)
        {
            int end = start == 0 ? tokens : start + 1; // a group: up to the next 1 in mask_ar
            while (end < tokens + t && maskAr[end - tokens] == 0) end++;
            var (l, v) = chain.Call(sequence.AsSpan(start * w, (end - start) * w).ToArray(), end - start, w);
            vocab = v;
            int first = Math.Max(start, tokens); // keep the text positions only
            logits.AddRange(l.AsSpan((first - start) * vocab).ToArray());
            start = end;
        }
        return ([.. logits], vocab);
    }
}
