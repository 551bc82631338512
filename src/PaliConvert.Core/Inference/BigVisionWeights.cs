using PaliConvert.Models;
using PaliConvert.Tensors;
using K = PaliConvert.Models.TensorKind;

namespace PaliConvert.Inference;

/// <summary>Weights read straight from a big_vision checkpoint's stacked einsum tensors (or their unstacked copies).</summary>
public sealed class BigVisionWeights(Checkpoint ck, PaliGemmaArch arch) : IModelWeights
{
    public PaliGemmaArch Arch => arch;
    public int VocabRows => arch.Decoder.Vocab;
    public PatchOrder PatchOrder => PatchOrder.RowColumnChannel;

    private static string Name(K kind) => BigVisionNames.Of(kind).Name;

    private static float[] Read(TensorInfo t, long offset, long n)
    {
        var v = new float[n];
        t.ReadF32(offset, v);
        return v;
    }

    private float[] Layer(K kind, int layer, params long[] shape)
    {
        var (t, off) = BigVisionNames.Layer(ck, Name(kind), layer, shape);
        return Read(t, off, Shape.Elements(shape));
    }

    private float[] Whole(K kind, params long[] shape) => Read(BigVisionNames.Get(ck, Name(kind), shape), 0, Shape.Elements(shape));

    public Linear PatchEmbedding()
    {
        int p = arch.Vision.Patch, d = arch.Vision.Width;
        var kernel = BigVisionNames.Get(ck, Name(K.PatchKernel), p, p, 3, d);
        return Linear.Single(kernel, 0, p * p * 3, d, outIn: false, Whole(K.PatchBias, d));
    }

    public float[] PositionEmbedding() => Whole(K.PositionEmbedding, 1, arch.Vision.Tokens, arch.Vision.Width);

    public Linear Vision(VisionLinear which, int layer)
    {
        var v = arch.Vision;
        int d = v.Width, m = v.Mlp, h = v.Heads, hd = v.HeadDim;
        long[] qkv = [d, h, hd], qkvBias = [h, hd];
        (K w, K b, long[] shape, long[] bias, int inputs, int outputs) = which switch
        {
            VisionLinear.Q => (K.VisionQKernel, K.VisionQBias, qkv, qkvBias, d, d),
            VisionLinear.K => (K.VisionKKernel, K.VisionKBias, qkv, qkvBias, d, d),
            VisionLinear.V => (K.VisionVKernel, K.VisionVBias, qkv, qkvBias, d, d),
            VisionLinear.Out => (K.VisionOutKernel, K.VisionOutBias, new long[] { h, hd, d }, new long[] { d }, d, d),
            VisionLinear.Fc1 => (K.VisionFc1Kernel, K.VisionFc1Bias, new long[] { d, m }, new long[] { m }, d, m),
            _ => (K.VisionFc2Kernel, K.VisionFc2Bias, new long[] { m, d }, new long[] { d }, m, d),
        };
        var (t, off) = BigVisionNames.Layer(ck, Name(w), layer, shape);
        return Linear.Single(t, off, inputs, outputs, outIn: false, Layer(b, layer, bias));
    }

    public (float[] scale, float[] bias) Vision(VisionNorm which, int layer)
    {
        int d = arch.Vision.Width;
        return which == VisionNorm.Ln1 ? (Layer(K.VisionLn1Scale, layer, d), Layer(K.VisionLn1Bias, layer, d))
            : (Layer(K.VisionLn2Scale, layer, d), Layer(K.VisionLn2Bias, layer, d));
    }

    public (float[] scale, float[] bias) VisionFinalNorm() =>
        (Whole(K.VisionFinalNormScale, arch.Vision.Width), Whole(K.VisionFinalNormBias, arch.Vision.Width));

    public Linear Projection() => Linear.Single(BigVisionNames.Get(ck, Name(K.ProjectionKernel), arch.Vision.Width, arch.Decoder.Width),
        0, arch.Vision.Width, arch.Decoder.Width, outIn: false, Whole(K.ProjectionBias, arch.Decoder.Width));

    private TensorInfo Embedding => BigVisionNames.Get(ck, BigVisionNames.Embedding, VocabRows, arch.Decoder.Width);

    public void EmbedToken(int token, Span<float> row)
    {
        if (token < 0 || token >= VocabRows)
            throw new BadInputException("inputs", $"token {token} is outside the vocabulary of {VocabRows}");
        Embedding.ReadF32((long)token * arch.Decoder.Width, row);
    }

    public Linear Decoder(DecoderLinear which, int layer)
    {
        var a = arch.Decoder;
        int w = a.Width, n = a.Heads, k = a.KvHeads, h = a.HeadDim, f = a.Mlp;
        switch (which)
        {
            case DecoderLinear.Q or DecoderLinear.K or DecoderLinear.V:
            {
                // einsum 'BTD,NDH->BTNH': head j is a [W, H] kernel; q_einsum (N,W,H), kv_einsum (2,K,W,H), qkv_einsum (3,N,W,H)
                int heads = which == DecoderLinear.Q ? n : k;
                var at = BigVisionNames.Of(which == DecoderLinear.Q ? K.Q : which == DecoderLinear.K ? K.K : K.V, a.FusedQkv);
                long[] shape = a.FusedQkv ? [3, n, w, h] : at.Part < 0 ? [n, w, h] : [2, k, w, h];
                var (t, off) = BigVisionNames.Layer(ck, at.Name, layer, shape);
                long start = off + (at.Part < 0 ? 0 : (long)at.Part * heads * w * h);
                var blocks = Enumerable.Range(0, heads).Select(j => new LinearBlock(t, start + (long)j * w * h, false, j * h, h)).ToArray();
                return new Linear(w, heads * h, blocks);
            }
            case DecoderLinear.Out:
            {
                var (t, off) = BigVisionNames.Layer(ck, Name(K.O), layer, n, h, w); // [N*H, W]
                return Linear.Single(t, off, n * h, w, outIn: false);
            }
            case DecoderLinear.Gate or DecoderLinear.Up:
            {
                var at = BigVisionNames.Of(which == DecoderLinear.Gate ? K.Gate : K.Up);
                var (t, off) = BigVisionNames.Layer(ck, at.Name, layer, 2, w, f);
                return Linear.Single(t, off + at.Part * (long)w * f, w, f, outIn: false);
            }
            default:
            {
                var (t, off) = BigVisionNames.Layer(ck, Name(K.Down), layer, f, w);
                return Linear.Single(t, off, f, w, outIn: false);
            }
        }
    }

    public float[] Decoder(DecoderNorm which, int layer) => Layer(which.Kind(), layer, arch.Decoder.Width);

    public float[] FinalNorm() => Whole(K.FinalNorm, arch.Decoder.Width);

    public Linear Unembed() => Linear.Single(Embedding, 0, arch.Decoder.Width, VocabRows, outIn: true);
}
