using Microsoft.ML.OnnxRuntime;
using PaliConvert.Inference;

namespace PaliConvert.Validation;

/// <summary>Runs an exported model.onnx in ONNX Runtime (CPU) on big_vision-style inputs.</summary>
public static class OnnxRunner
{
    public static (float[] logits, int vocab) Run(string modelPath, ModelInputs input)
    {
        if (Export.OnnxLayout.IsSplitFolder(modelPath)) return RunSplit(modelPath, input);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such ONNX model");
        return Refused(modelPath, () => RunSingle(modelPath, input));
    }

    /// <summary>
    /// ONNX Runtime's own failures (a damaged graph, a missing data file, inputs it rejects) as bad input naming the model.
    /// </summary>
    private static T Refused<T>(string model, Func<T> run)
    {
        try { return run(); }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{model}: ONNX Runtime cannot run it: {e.Message}"); }
    }

    private static (float[] logits, int vocab) RunSingle(string modelPath, ModelInputs input)
    {
        using var session = Session(modelPath);
        int b = input.Batch, h = input.Height, w = input.Width, t = input.TextLength;
        using var pixels = OrtValue.CreateTensorValueFromMemory(Nchw(input), [b, 3, h, w]);
        using var ids = OrtValue.CreateTensorValueFromMemory(input.Text.Select(v => (long)v).ToArray(), [b, t]);
        using var types = OrtValue.CreateTensorValueFromMemory(input.MaskAr.Select(v => (long)v).ToArray(), [b, t]);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["pixel_values", "input_ids", "token_type_ids"], [pixels, ids, types], ["logits"]);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), (int)shape[2]);
    }

    private static InferenceSession Session(string path)
    {
        Tensors.RegularFile.Require(path);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(path, options);
    }

    private static float[] Nchw(ModelInputs input)
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

    /// <summary>
    /// The split layout chained as a web runtime does: image features and token embeddings concatenated into
    /// inputs_embeds, then the decoder with an empty cache. <paramref name="cacheSplit"/> &gt; 0 runs the decoder twice,
    /// the first positions then the rest with the cache of the first run, which checks the present/past outputs.
    /// Returns the text positions' logits.
    /// </summary>
    public static (float[] logits, int vocab) RunSplit(string folder, ModelInputs input, int cacheSplit = 0) =>
        Refused(folder, () => RunChained(folder, input, cacheSplit));

    private static (float[] logits, int vocab) RunChained(string folder, ModelInputs input, int cacheSplit)
    {
        int b = input.Batch, t = input.TextLength;
        float[] features, embeds;
        long[] fshape;
        using (var vision = Session(Path.Combine(folder, Export.OnnxLayout.VisionFile)))
        using (var pixels = OrtValue.CreateTensorValueFromMemory(Nchw(input), [b, 3, input.Height, input.Width]))
        using (var run = new RunOptions())
        using (var o = vision.Run(run, ["pixel_values"], [pixels], ["image_features"]))
        {
            features = o[0].GetTensorDataAsSpan<float>().ToArray();
            fshape = o[0].GetTensorTypeAndShape().Shape;
        }
        using (var embed = Session(Path.Combine(folder, Export.OnnxLayout.EmbedFile)))
        using (var ids = OrtValue.CreateTensorValueFromMemory(input.Text.Select(v => (long)v).ToArray(), [b, t]))
        using (var run = new RunOptions())
        using (var o = embed.Run(run, ["input_ids"], [ids], ["inputs_embeds"]))
            embeds = o[0].GetTensorDataAsSpan<float>().ToArray();
        int tokens = (int)fshape[1], w = (int)fshape[2], s = tokens + t;
        var all = new float[b * s * w];
        var types = new long[b * s];
        for (int bi = 0; bi < b; bi++)
        {
            Array.Copy(features, bi * tokens * w, all, bi * s * w, tokens * w);
            Array.Copy(embeds, bi * t * w, all, (bi * s + tokens) * w, t * w);
            for (int i = 0; i < t; i++) types[bi * s + tokens + i] = input.MaskAr[bi * t + i];
        }
        using var decoder = Session(Path.Combine(folder, Export.OnnxLayout.DecoderFile));
        var kvInputs = decoder.InputMetadata.Keys.Where(k => k.StartsWith("past_key_values.", StringComparison.Ordinal)).ToList();
        var kvShape = decoder.InputMetadata[kvInputs[0]].Dimensions; // [batch, K, past, H]
        int split = cacheSplit > 0 ? cacheSplit : s;
        var past = kvInputs.ToDictionary(k => k, _ => (data: Array.Empty<float>(), len: 0));
        float[] logits = [];
        int vocab = 0;
        for (int start = 0; start < s; start = split, split = s)
        {
            int n = split - start;
            var part = new float[b * n * w];
            for (int bi = 0; bi < b; bi++) Array.Copy(all, (bi * s + start) * w, part, bi * n * w, n * w);
            var names = new List<string> { "inputs_embeds", "attention_mask", "position_ids", "token_type_ids" };
            var values = new List<OrtValue>
            {
                OrtValue.CreateTensorValueFromMemory(part, [b, n, w]),
                OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, b * split).ToArray(), [b, split]),
                OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0,
                    b).SelectMany(_ => Enumerable.Range(start, n).Select(p => (long)p)).ToArray(), [b, n]),
                OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, b).SelectMany(bi => types.Skip(bi * s).Take(split)).ToArray(),
                    [b, split]),
            };
            foreach (var k in kvInputs)
            {
                names.Add(k);
                values.Add(OrtValue.CreateTensorValueFromMemory(past[k].data, [b, kvShape[1], past[k].len, kvShape[3]]));
            }
            var outNames = new List<string> { "logits" };
            outNames.AddRange(kvInputs.Select(k => k.Replace("past_key_values.", "present.")));
            using (var run = new RunOptions())
            using (var o = decoder.Run(run, names, values, outNames))
            {
                var shape = o[0].GetTensorTypeAndShape().Shape;
                vocab = (int)shape[2];
                var l = o[0].GetTensorDataAsSpan<float>().ToArray();
                logits = logits.Length == 0 ? l : Stitch(logits, l, b, vocab);
                for (int i = 0; i < kvInputs.Count; i++) past[kvInputs[i]] = (o[i + 1].GetTensorDataAsSpan<float>().ToArray(), split);
            }
            foreach (var v in values) v.Dispose();
        }
        var text = new float[b * t * vocab];
        for (int bi = 0; bi < b; bi++) Array.Copy(logits, (bi * s + tokens) * vocab, text, bi * t * vocab, t * vocab);
        return (text, vocab);
    }

    /// <summary>Logits of two runs over consecutive positions, joined per batch row.</summary>
    private static float[] Stitch(float[] first, float[] second, int b, int vocab)
    {
        int n1 = first.Length / b / vocab, n2 = second.Length / b / vocab;
        var r = new float[first.Length + second.Length];
        for (int bi = 0; bi < b; bi++)
        {
            Array.Copy(first, bi * n1 * vocab, r, bi * (n1 + n2) * vocab, n1 * vocab);
            Array.Copy(second, bi * n2 * vocab, r, (bi * (n1 + n2) + n1) * vocab, n2 * vocab);
        }
        return r;
    }
}
