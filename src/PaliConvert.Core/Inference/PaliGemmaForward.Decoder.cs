using System.Numerics.Tensors;
using PaliConvert.Models;

namespace PaliConvert.Inference;

/// <summary>The Gemma decoder, run a chunk of positions at a time over a <see cref="KvCache"/> of the ones before.</summary>
public sealed partial class PaliGemmaForward
{
    /// <summary>The decoder's input rows: the image tokens, then each text token's embedding times sqrt(width).</summary>
    internal float[] Embed(float[] zimg, int tokens, ReadOnlySpan<int> text)
    {
        int width = w.Arch.Decoder.Width;
        var x = new float[(tokens + text.Length) * width];
        zimg.AsSpan(0, tokens * width).CopyTo(x);
        float embScale = MathF.Sqrt(width);
        for (int i = 0; i < text.Length; i++)
        {
            var row = x.AsSpan((tokens + i) * width, width);
            w.EmbedToken(text[i], row);
            TensorPrimitives.Multiply(row, embScale, row);
        }
        return x;
    }

    /// <summary>
    /// Runs <paramref name="n"/> new positions (rows of <paramref name="x"/>, in their mask groups) after the cache's, and
    /// returns their final-normed hidden states [n, width]; their keys and values join the cache.
    /// </summary>
    internal float[] Advance(float[] x, int n, ReadOnlySpan<int> groups, KvCache cache)
    {
        var a = w.Arch;
        var dec = a.Decoder;
        int width = dec.Width, h = dec.HeadDim, start = cache.Length, total = start + n, kvRow = dec.KvHeads * h;
        cache.Reserve(n, groups);
        bool gemma2 = a.Family == GemmaFamily.Gemma2;
        float qScale = (float)(1.0 / Math.Sqrt(dec.QueryPreAttnScalar)), eps = (float)dec.NormEps, theta = (float)dec.RopeTheta;
        var hbuf = new float[n * width];
        var q = new float[n * dec.Heads * h];
        var k = new float[n * kvRow];
        var v = new float[n * kvRow];
        var att = new float[n * dec.Heads * h];
        var o = new float[n * width];
        var gate = new float[n * dec.Mlp];
        var up = new float[n * dec.Mlp];
        float[] sines = new float[n * h / 2], cosines = new float[n * h / 2]; // the same for every layer and head
        for (int i = 0; i < n; i++)
            Ops.RopeAngles(start + i, h, theta, sines.AsSpan(i * h / 2, h / 2), cosines.AsSpan(i * h / 2, h / 2));
        for (int l = 0; l < dec.Layers; l++)
        {
            stop.ThrowIfCancellationRequested();
            progress?.Report(($"decoder layer {l}", (double)(a.Vision.Layers + l) / (a.Vision.Layers + dec.Layers)));
            Ops.RmsNorm(x, n, width, w.Decoder(DecoderNorm.PreAttention, l), hbuf, eps);
            Fused([w.Decoder(DecoderLinear.Q, l), w.Decoder(DecoderLinear.K, l), w.Decoder(DecoderLinear.V, l)], hbuf, n, q, k, v);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> sin = sines.AsSpan(i * h / 2, h / 2), cos = cosines.AsSpan(i * h / 2, h / 2);
                for (int m = 0; m < dec.Heads; m++) Ops.Rope(q.AsSpan((i * dec.Heads + m) * h, h), sin, cos);
                for (int m = 0; m < dec.KvHeads; m++) Ops.Rope(k.AsSpan((i * dec.KvHeads + m) * h, h), sin, cos);
            }
            var (ck, cv) = cache.Layer(l);
            k.CopyTo(ck, start * kvRow);
            v.CopyTo(cv, start * kvRow);
            TensorPrimitives.Multiply(q, qScale, q);
            Attention.Apply(q, ck, cv, n, start, total, dec.Heads, dec.KvHeads, h, 1f, cache.Groups, (float)dec.AttnSoftcap,
                dec.WindowOf(l), att);
            Apply(w.Decoder(DecoderLinear.Out, l), att, n, o);
            if (gemma2) Ops.RmsNorm(o, n, width, w.Decoder(DecoderNorm.PostAttention, l), o, eps);
            TensorPrimitives.Add(x, o, x);

            Ops.RmsNorm(x, n, width, w.Decoder(DecoderNorm.PreFeedForward, l), hbuf, eps);
            Apply(w.Decoder(DecoderLinear.Gate, l), hbuf, n, gate);
            Apply(w.Decoder(DecoderLinear.Up, l), hbuf, n, up);
            Ops.Activate(gate, gate.Length, dec.Activation, times: up);
            Apply(w.Decoder(DecoderLinear.Down, l), gate, n, o);
            if (gemma2) Ops.RmsNorm(o, n, width, w.Decoder(DecoderNorm.PostFeedForward, l), o, eps);
            TensorPrimitives.Add(x, o, x);
        }
        cache.Commit(n);
        var pre = new float[n * width];
        Ops.RmsNorm(x, n, width, w.FinalNorm(), pre, eps);
        return pre;
    }

    /// <summary>
    /// Logits of <paramref name="rows"/> final-normed hidden states against the tied embedding. No final softcap: the
    /// golden logits of big_vision and of transformers (which agree to 6e-6) both exceed 30 on the Gemma 2 model, and
    /// equal pre_logits . E^T uncapped, so neither caps these logits.
    /// </summary>
    internal float[] Logits(float[] pre, int rows)
    {
        var logits = new float[rows * w.VocabRows];
        Apply(w.Unembed(), pre, rows, logits);
        return logits;
    }
}
