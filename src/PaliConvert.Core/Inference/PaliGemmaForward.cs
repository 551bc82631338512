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
public sealed class PaliGemmaForward(IModelWeights w, IProgress<(string, double)>? progress = null)
{
    public ForwardResult Run(ModelInputs input)
    {
        var a = w.Arch;
        int p = a.Vision.Patch;
        if (input.Height % p != 0 || input.Width % p != 0)
            throw new BadInputException("inputs", $"image {input.Height}x{input.Width} is not a multiple of the {p}-pixel patch");
        int tokens = input.Height / p * (input.Width / p);
        if (tokens != a.Vision.Tokens)
            throw new BadInputException("inputs", $"image {input.Height}x{input.Width} gives {tokens} patches but the model has " +
                $"{a.Vision.Tokens} " +
                $"position embeddings ({a.Vision.ImageSize} px)");
        int t = input.TextLength, s = tokens + t, width = a.Decoder.Width, vocab = w.VocabRows;
        var logits = new float[input.Batch * t * vocab];
        var zimgAll = new float[input.Batch * tokens * width];
        var preAll = new float[input.Batch * s * width];
        for (int b = 0; b < input.Batch; b++)
        {
            var zimg = Vision(input, b, tokens);
            zimg.CopyTo(zimgAll, b * tokens * width);
            var (pre, text) = Decoder(zimg, tokens, input.Text.AsSpan(b * t, t), input.MaskAr.AsSpan(b * t, t));
            pre.CopyTo(preAll, b * s * width);
            text.CopyTo(logits, b * t * vocab);
        }
        return new ForwardResult(logits, vocab, zimgAll, tokens, preAll, s);
    }

    private float[] Vision(ModelInputs input, int b, int tokens)
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
            progress?.Report(($"vision layer {l}", (double)l / (v.Layers + w.Arch.Decoder.Layers)));
            var (s1, b1) = w.Vision(VisionNorm.Ln1, l);
            Ops.LayerNorm(x, tokens, d, s1, b1, y, eps);
            Apply(w.Vision(VisionLinear.Q, l), y, tokens, q);
            Apply(w.Vision(VisionLinear.K, l), y, tokens, k2);
            Apply(w.Vision(VisionLinear.V, l), y, tokens, val);
            Attention(q, k2, val, tokens, v.Heads, v.Heads, v.HeadDim, 1f / MathF.Sqrt(v.HeadDim), null, 0, 0, att);
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

    private (float[] pre, float[] logits) Decoder(float[] zimg, int tokens, ReadOnlySpan<int> text, ReadOnlySpan<int> maskAr)
    {
        var a = w.Arch;
        var dec = a.Decoder;
        int t = text.Length, s = tokens + t, width = dec.Width, h = dec.HeadDim;
        var x = new float[s * width];
        zimg.CopyTo(x, 0);
        float embScale = MathF.Sqrt(width);
        for (int i = 0; i < t; i++)
        {
            var row = x.AsSpan((tokens + i) * width, width);
            w.EmbedToken(text[i], row);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, embScale, row);
        }
        // prefix-LM mask: image positions count as mask_ar 0; i may attend j iff cumsum(mask_ar)[j] <= cumsum(mask_ar)[i]
        var group = new int[s];
        for (int i = 0, c = 0; i < s; i++) group[i] = c += i < tokens ? 0 : maskAr[i - tokens];

        bool gemma2 = a.Family == GemmaFamily.Gemma2;
        float qScale = (float)(1.0 / Math.Sqrt(dec.QueryPreAttnScalar)), eps = (float)dec.NormEps, theta = (float)dec.RopeTheta;
        var hbuf = new float[s * width];
        var q = new float[s * dec.Heads * h];
        var k = new float[s * dec.KvHeads * h];
        var v = new float[s * dec.KvHeads * h];
        var att = new float[s * dec.Heads * h];
        var o = new float[s * width];
        var gate = new float[s * dec.Mlp];
        var up = new float[s * dec.Mlp];
        for (int l = 0; l < dec.Layers; l++)
        {
            progress?.Report(($"decoder layer {l}", (double)(a.Vision.Layers + l) / (a.Vision.Layers + dec.Layers)));
            Ops.RmsNorm(x, s, width, w.Decoder(DecoderNorm.PreAttention, l), hbuf, eps);
            Apply(w.Decoder(DecoderLinear.Q, l), hbuf, s, q);
            Apply(w.Decoder(DecoderLinear.K, l), hbuf, s, k);
            Apply(w.Decoder(DecoderLinear.V, l), hbuf, s, v);
            for (int i = 0; i < s; i++)
            {
                for (int n = 0; n < dec.Heads; n++) Ops.Rope(q.AsSpan((i * dec.Heads + n) * h, h), i, theta);
                for (int n = 0; n < dec.KvHeads; n++) Ops.Rope(k.AsSpan((i * dec.KvHeads + n) * h, h), i, theta);
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(q, qScale, q);
            Attention(q, k, v, s, dec.Heads, dec.KvHeads, h, 1f, group, (float)dec.AttnSoftcap, dec.WindowOf(l), att);
            Apply(w.Decoder(DecoderLinear.Out, l), att, s, o);
            if (gemma2) Ops.RmsNorm(o, s, width, w.Decoder(DecoderNorm.PostAttention, l), o, eps);
            System.Numerics.Tensors.TensorPrimitives.Add(x, o, x);

            Ops.RmsNorm(x, s, width, w.Decoder(DecoderNorm.PreFeedForward, l), hbuf, eps);
            Apply(w.Decoder(DecoderLinear.Gate, l), hbuf, s, gate);
            Apply(w.Decoder(DecoderLinear.Up, l), hbuf, s, up);
            Ops.Activate(gate, dec.Activation);
            System.Numerics.Tensors.TensorPrimitives.Multiply(gate, up, gate);
            Apply(w.Decoder(DecoderLinear.Down, l), gate, s, o);
            if (gemma2) Ops.RmsNorm(o, s, width, w.Decoder(DecoderNorm.PostFeedForward, l), o, eps);
            System.Numerics.Tensors.TensorPrimitives.Add(x, o, x);
        }
        var pre = new float[s * width];
        Ops.RmsNorm(x, s, width, w.FinalNorm(), pre, eps);
        var logits = new float[t * w.VocabRows];
        // No final softcap: the golden logits of big_vision and of transformers (which agree to 6e-6) both exceed 30
        // on the Gemma 2 model, and equal pre_logits . E^T uncapped, so neither caps these logits.
        Apply(w.Unembed(), pre.AsSpan(tokens * width).ToArray(), t, logits);
        return (pre, logits);
    }

    /// <summary>
    /// The prefix-LM mask: j is visible from i iff group[j] &lt;= group[i] (group = cumsum(mask_ar), image positions 0).
    /// A sliding window (0: none) also hides |i - j| &gt;= window, except within one group: transformers ORs the
    /// bidirectional prefix block over its sliding-window causal mask (README findings: big_vision does not).
    /// </summary>
    public static bool Visible(int[] group, int i, int j, int window) =>
        group[j] <= group[i] && (window == 0 || Math.Abs(i - j) < window || group[i] == group[j]);

    private static void Apply(Linear linear, float[] x, int rows, float[] y)
    {
        MatMul.Apply(linear, x, rows, y);
        linear.Release();
    }

    /// <summary>
    /// Multi-head attention over s positions; query head n uses kv head n / (heads / kvHeads). softcap 0: none.
    /// Mask: none when group is null, else <see cref="Visible"/>.
    /// </summary>
    private static void Attention(float[] q, float[] k, float[] v, int s, int heads, int kvHeads, int h, float scale, int[]? group,
        float softcap, int window, float[] output)
    {
        int perKv = heads / kvHeads;
        Parallel.For(0, heads, () => new float[s], (n, _, scores) =>
        {
            int g = n / perKv;
            for (int i = 0; i < s; i++)
            {
                var qi = q.AsSpan((i * heads + n) * h, h);
                for (int j = 0; j < s; j++)
                {
                    float logit = MatMul.Dot(qi, k.AsSpan((j * kvHeads + g) * h, h)) * scale;
                    if (softcap > 0) logit = Ops.SoftCap(logit, softcap);
                    scores[j] = group == null || Visible(group, i, j, window) ? logit : ModelDefaults.MaskedLogit;
                }
                Ops.Softmax(scores);
                var outRow = output.AsSpan((i * heads + n) * h, h);
                outRow.Clear();
                for (int j = 0; j < s; j++)
                    if (scores[j] != 0)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(v.AsSpan((j * kvHeads + g) * h, h), scores[j], outRow, outRow);
            }
            return scores;
        }, _ => { });
    }
}
