using PaliConvert.Models;

namespace PaliConvert.Inference;

/// <summary>Inputs as big_vision takes them: image NHWC in [-1, 1], text tokens, mask_ar (0 prefix, 1 causal).</summary>
public sealed record ModelInputs(float[] Image, int Batch, int Height, int Width, int[] Text, int TextLength, int[] MaskAr);

/// <summary>Text logits [B, T, VocabRows], and the intermediate activations golden files hold for locating differences.</summary>
public sealed record ForwardResult(float[] Logits, int Vocab, float[] ImageTokens, int Tokens, float[] PreLogits, int Sequence);

/// <summary>
/// PaliGemma's forward pass in float32, exactly as big_vision computes it (docs/PALIGEMMA.md): SigLIP encoder, linear
/// projection, Gemma/Gemma 2 decoder over [image tokens; text] with the prefix-LM mask, tied output embedding.
/// </summary>
public sealed partial class PaliGemmaForward(IModelWeights w, IProgress<(string, double)>? progress = null,
    CancellationToken stop = default)
{
    public ForwardResult Run(ModelInputs input)
    {
        var a = w.Arch;
        int tokens = ImageTokens(input);
        int t = input.TextLength, s = tokens + t;
        float[]? logits = null, zimgAll = null, preAll = null;
        for (int b = 0; b < input.Batch; b++)
        {
            var zimg = Vision(input, b, tokens);
            var (pre, text) = Decoder(zimg, tokens, input.Text.AsSpan(b * t, t), input.MaskAr.AsSpan(b * t, t));
            zimgAll = Batched(zimgAll, zimg, b, input.Batch);
            preAll = Batched(preAll, pre, b, input.Batch);
            logits = Batched(logits, text, b, input.Batch);
        }
        return new ForwardResult(logits ?? [], w.VocabRows, zimgAll ?? [], tokens, preAll ?? [], s); // [] for a batch of none
    }

    /// <summary>Item b's result in the batch's array; one item's is its own (a 3B's 16 MB of logits, not copied).</summary>
    private static float[] Batched(float[]? all, float[] one, int b, int batch)
    {
        if (batch == 1) return one;
        all ??= new float[batch * one.Length];
        one.CopyTo(all, b * one.Length);
        return all;
    }

    /// <summary>The image tokens the inputs' image makes, checked against the model's position embeddings.</summary>
    internal int ImageTokens(ModelInputs input)
    {
        var a = w.Arch;
        int p = a.Vision.Patch;
        if (input.Height % p != 0 || input.Width % p != 0)
            throw new BadInputException("inputs", $"image {input.Height}x{input.Width} is not a multiple of the {p}-pixel patch");
        int tokens = input.Height / p * (input.Width / p);
        if (tokens != a.Vision.Tokens)
            throw new BadInputException("inputs", $"image {input.Height}x{input.Width} gives {tokens} patches but the model has " +
                $"{a.Vision.Tokens} position embeddings ({a.Vision.ImageSize} px)");
        return tokens;
    }

    /// <summary>Image <paramref name="b"/> of the inputs through the SigLIP tower and the projection: [tokens, text width].</summary>
    internal float[] Vision(ModelInputs input, int b, int tokens)
    {
        var v = w.Arch.Vision;
        int p = v.Patch, d = v.Width, cols = input.Width / p, patchLen = p * p * 3;
        float eps = (float)v.NormEps;
        var patches = new float[tokens * patchLen];
        for (int gy = 0, tok = 0; gy < input.Height / p; gy++)
            for (int gx = 0; gx < cols; gx++, tok++)
                for (int py = 0; py < p; py++)
                    for (int px = 0; px < p; px++)
                        for (int c = 0; c < 3; c++)
                        {
                            float value = input.Image[((b * input.Height + gy * p + py) * input.Width + gx * p + px) * 3 + c];
                            int k = w.PatchOrder == PatchOrder.RowColumnChannel ? (py * p + px) * 3 + c : (c * p + py) * p + px;
                            patches[tok * patchLen + k] = value;
                        }
        var x = new float[tokens * d];
        MatMul.Apply(w.PatchEmbedding(), patches, tokens, x);
        var pos = w.PositionEmbedding();
        System.Numerics.Tensors.TensorPrimitives.Add(x, pos.AsSpan(0, x.Length), x);

        var y = new float[tokens * d];
        var q = new float[tokens * d];
        var k2 = new float[tokens * d];
        var val = new float[tokens * d];
        var att = new float[tokens * d];
        var hidden = new float[tokens * v.Mlp];
        for (int l = 0; l < v.Layers; l++)
        {
            stop.ThrowIfCancellationRequested();
            progress?.Report(($"vision layer {l}", (double)l / (v.Layers + w.Arch.Decoder.Layers)));
            var (s1, b1) = w.Vision(VisionNorm.Ln1, l);
            Ops.LayerNorm(x, tokens, d, s1, b1, y, eps);
            Fused([w.Vision(VisionLinear.Q, l), w.Vision(VisionLinear.K, l), w.Vision(VisionLinear.V, l)], y, tokens, q, k2, val);
            Attention.Apply(q, k2, val, tokens, 0, tokens, v.Heads, v.Heads, v.HeadDim, 1f / MathF.Sqrt(v.HeadDim), null, 0, 0, att);
            Apply(w.Vision(VisionLinear.Out, l), att, tokens, y);
            System.Numerics.Tensors.TensorPrimitives.Add(x, y, x);
            var (s2, b2) = w.Vision(VisionNorm.Ln2, l);
            Ops.LayerNorm(x, tokens, d, s2, b2, y, eps);
            Apply(w.Vision(VisionLinear.Fc1, l), y, tokens, hidden);
            Ops.Activate(hidden, v.Activation);
            Apply(w.Vision(VisionLinear.Fc2, l), hidden, tokens, y);
            System.Numerics.Tensors.TensorPrimitives.Add(x, y, x);
        }
        var (fs, fb) = w.VisionFinalNorm();
        Ops.LayerNorm(x, tokens, d, fs, fb, y, eps);
        var zimg = new float[tokens * w.Arch.Decoder.Width];
        Apply(w.Projection(), y, tokens, zimg);
        return zimg;
    }

    /// <summary>
    /// Linears over the same rows as one product where they fuse (a layer's query, key and value), each part's
    /// outputs then copied into its own buffer; apart where they do not (an adapter's update runs beside its layer).
    /// </summary>
    private void Fused(Linear[] parts, float[] x, int rows, params float[][] outs)
    {
        var fused = Linear.Concat(parts);
        if (fused == null)
        {
            for (int p = 0; p < parts.Length; p++) Apply(parts[p], x, rows, outs[p]);
            return;
        }
        var all = System.Buffers.ArrayPool<float>.Shared.Rent(rows * fused.Out);
        Apply(fused, x, rows, all);
        for (int i = 0, at = 0; i < rows; i++)
            for (int p = 0; p < parts.Length; at += parts[p].Out, p++)
                all.AsSpan(at, parts[p].Out).CopyTo(outs[p].AsSpan(i * parts[p].Out, parts[p].Out));
        System.Buffers.ArrayPool<float>.Shared.Return(all);
    }

    private (float[] pre, float[] logits) Decoder(float[] zimg, int tokens, ReadOnlySpan<int> text, ReadOnlySpan<int> maskAr)
    {
        var dec = w.Arch.Decoder;
        int t = text.Length, s = tokens + t, width = dec.Width;
        var x = Embed(zimg, tokens, text);
        // prefix-LM mask: image positions count as mask_ar 0; i may attend j iff cumsum(mask_ar)[j] <= cumsum(mask_ar)[i]
        var group = new int[s];
        for (int i = 0, c = 0; i < s; i++) group[i] = c += i < tokens ? 0 : maskAr[i - tokens];
        var pre = Advance(x, s, group, new KvCache(dec, s, retain: false));
        return (pre, Logits(pre.AsSpan(tokens * width).ToArray(), t));
    }

    /// <summary>
    /// The prefix-LM mask: j is visible from i iff group[j] &lt;= group[i] (group = cumsum(mask_ar), image positions 0).
    /// A sliding window (0: none) also hides |i - j| &gt;= window, except within one group: transformers ORs the
    /// bidirectional prefix block over its sliding-window causal mask (README findings: big_vision does not).
    /// </summary>
    public static bool Visible(int[] group, int i, int j, int window) =>
        group[j] <= group[i] && (window == 0 || Math.Abs(i - j) < window || group[i] == group[j]);

    /// <summary>Whether each weight's pages are dropped once used: a single pass reads each once, a decode loop every step.</summary>
    public bool ReleaseWeights { get; init; } = true;

    private void Apply(Linear linear, float[] x, int rows, float[] y)
    {
        MatMul.Apply(linear, x, rows, y, ReleaseWeights);
        if (ReleaseWeights) linear.Release();
    }
}
