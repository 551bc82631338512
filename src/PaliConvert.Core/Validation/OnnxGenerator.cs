using System.Diagnostics;
using System.Numerics.Tensors;
using PaliConvert.Export;
using PaliConvert.Inference;
using PaliConvert.Models;

namespace PaliConvert.Validation;

/// <summary>
/// Greedy generation in ONNX Runtime. A split folder is chained as transformers.js chains it: the image's features and
/// the prompt's embeddings in one decoder call, then one call per new token with the key/value cache of the calls before.
/// A single model.onnx has no cache input: each step runs the whole sequence (the new tokens with token_type_ids 1).
/// </summary>
public static class OnnxGenerator
{
    /// <summary>The facts an export records (its decoder's metadata): what the processor needs to know of the model.</summary>
    public static IReadOnlyDictionary<string, string> Facts(string model, OnnxDType? dtype)
    {
        string graph = OnnxLayout.IsSplitFolder(model)
            ? Path.Combine(model, OnnxLayout.SplitFile(OnnxLayout.Decoder, OnnxLayout.PickDType(model, dtype))) : model;
        var facts = ModelFacts.FromMetadata(Formats.Onnx.OnnxWriter.ReadMetadata(graph))
            ?? throw new BadInputException(graph, $"{graph}: states no model facts (not exported by paliconvert), so its image size and " +
                "vocabulary are not known");
        return facts.ToDictionary(f => f.key, f => f.value);
    }

    public static Generation Run(string model, OnnxDType? dtype, float[] image, int px, int[] prompt, int maxNewTokens, int eos)
    {
        var input = new ModelInputs(image, 1, px, px, prompt, prompt.Length, new int[prompt.Length]);
        return OnnxRunner.Refused(model, () => OnnxLayout.IsSplitFolder(model)
            ? Split(model, OnnxLayout.PickDType(model, dtype), input, maxNewTokens, eos)
            : Single(model, input, maxNewTokens, eos));
    }

    private static Generation Split(string folder, OnnxDType storage, ModelInputs input, int maxNew, int eos)
    {
        string File(string g) => Path.Combine(folder, OnnxLayout.SplitFile(g, storage));
        using var vision = OnnxRunner.Session(File(OnnxLayout.Vision));
        using var embed = OnnxRunner.Session(File(OnnxLayout.Embed));
        using var decoder = OnnxRunner.Session(File(OnnxLayout.Decoder));
        SplitGraphs.Check(folder, storage, vision, embed, decoder);
        SplitRunner.ImageSize(File(OnnxLayout.Vision), vision, input);
        var clock = Stopwatch.StartNew();
        var image = SplitRunner.Run(vision, "pixel_values", OnnxRunner.Nchw(input), [1, 3, input.Height, input.Width], "image_features");
        SplitGraphs.ImageTokens(folder, decoder, image.shape);
        int tokens = (int)image.shape[1], w = (int)image.shape[2];
        float[] Embed(int[] ids) => SplitRunner.Run(embed, "input_ids", ids.Select(v => (long)v).ToArray(), [1, ids.Length],
            "inputs_embeds").data;
        var chain = new SplitDecoder(decoder);
        int n = tokens + input.TextLength;
        var (logits, vocab) = chain.Call([.. image.data, .. Embed(input.Text)], n, w);
        var last = logits[((n - 1) * vocab)..];
        double prefill = clock.Elapsed.TotalSeconds;
        var generated = new List<int>();
        var steps = new List<float[]>();
        while (true)
        {
            int next = TensorPrimitives.IndexOfMax(last);
            generated.Add(next);
            steps.Add(last);
            if (next == eos || generated.Count == maxNew) break;
            last = chain.Call(Embed([next]), 1, w).logits;
        }
        return new Generation(input.Text, [.. generated], steps, prefill, clock.Elapsed.TotalSeconds - prefill);
    }

    private static Generation Single(string model, ModelInputs prompt, int maxNew, int eos)
    {
        var clock = Stopwatch.StartNew();
        var generated = new List<int>();
        var steps = new List<float[]>();
        double prefill = 0;
        while (true)
        {
            int[] text = [.. prompt.Text, .. generated], mask = [.. new int[prompt.TextLength], .. Enumerable.Repeat(1, generated.Count)];
            var (logits, vocab) = OnnxRunner.Run(model, prompt with { Text = text, TextLength = text.Length, MaskAr = mask });
            var last = logits[((text.Length - 1) * vocab)..];
            if (generated.Count == 0) prefill = clock.Elapsed.TotalSeconds;
            int next = TensorPrimitives.IndexOfMax(last);
            generated.Add(next);
            steps.Add(last);
            if (next == eos || generated.Count == maxNew) break;
        }
        return new Generation(prompt.Text, [.. generated], steps, prefill, clock.Elapsed.TotalSeconds - prefill);
    }
}
