using System.Diagnostics;
using System.Numerics.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// One greedy generation: the prompt's ids as fed (after the image tokens), the new ids (EOS included when generated),
/// the logits each new id was chosen from, and the time the prefill and the decode steps took.
/// </summary>
public sealed record Generation(int[] PromptIds, int[] GeneratedIds, IReadOnlyList<float[]> StepLogits, double PrefillSeconds,
    double DecodeSeconds)
{
    /// <summary>Tokens per second after the first (which the prefill gives).</summary>
    public double DecodeTokensPerSecond => GeneratedIds.Length > 1 && DecodeSeconds > 0 ? (GeneratedIds.Length - 1) / DecodeSeconds : 0;
}

/// <summary>
/// Greedy decoding as transformers' generate() does it for PaliGemma: the image tokens and the prompt as one
/// bidirectional prefix (token_type_ids 0), then one token per step, each seeing every position before it, the next
/// token the argmax over every row of the output embedding; it stops at EOS or after the limit. Each step runs only
/// the new position over the <see cref="KvCache"/>.
/// </summary>
public static class GreedyDecoder
{
    /// <summary>Gemma's &lt;eos&gt;.</summary>
    public const int Eos = 1;

    public static Generation Run(IModelWeights w, float[] image, int height, int widthPx, int[] prompt, int maxNewTokens,
        IProgress<(string, double)>? progress = null, int eos = Eos)
    {
        if (maxNewTokens < 1) throw new UsageException("max-new-tokens", $"at least one new token must be asked for, not {maxNewTokens}");
        var forward = new PaliGemmaForward(w, progress) { ReleaseWeights = false }; // every step reads them again
        var input = new ModelInputs(image, 1, height, widthPx, prompt, prompt.Length, new int[prompt.Length]);
        var clock = Stopwatch.StartNew();
        int tokens = forward.ImageTokens(input), width = w.Arch.Decoder.Width, s = tokens + prompt.Length;
        var cache = new KvCache(w.Arch.Decoder, s + maxNewTokens);
        var pre = forward.Advance(forward.Embed(forward.Vision(input, 0, tokens), tokens, prompt), s, new int[s], cache);
        var logits = forward.Logits(pre.AsSpan((s - 1) * width, width).ToArray(), 1);
        double prefill = clock.Elapsed.TotalSeconds;
        var generated = new List<int>();
        var steps = new List<float[]>();
        for (int group = 1; ; group++)
        {
            int next = TensorPrimitives.IndexOfMax(logits);
            generated.Add(next);
            steps.Add(logits);
            if (next == eos || generated.Count == maxNewTokens) break;
            pre = forward.Advance(forward.Embed([], 0, [next]), 1, [group], cache);
            logits = forward.Logits(pre, 1);
        }
        return new Generation(prompt, [.. generated], steps, prefill, clock.Elapsed.TotalSeconds - prefill);
    }
}
