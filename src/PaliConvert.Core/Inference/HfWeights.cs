using PaliConvert.Models;
using PaliConvert.Tensors;
using K = PaliConvert.Models.TensorKind;

namespace PaliConvert.Inference;

/// <summary>
/// Weights read from a Hugging Face folder's per-layer Linear tensors ([out, in]), written from the HF model code's point of view.
/// </summary>
public sealed class HfWeights(Checkpoint ck, PaliGemmaArch arch) : IModelWeights
{
    public PaliGemmaArch Arch => arch;
    public int VocabRows => arch.Decoder.Vocab;
    public PatchOrder PatchOrder => PatchOrder.ChannelRowColumn; // Conv2d weight (D, 3, P, P)

    private TensorInfo Get(K kind, int layer, params long[] shape) => HfNames.Get(ck, kind, arch.Family, layer, shape);

    private float[] Read(K kind, int layer, params long[] shape)
    {
        var t = Get(kind, layer, shape);
        var v = new float[t.Elements];
        t.ReadF32(0, v);
        return v;
    }

    private Linear Dense(K weight, K? bias, int layer, int inputs, int outputs) => Linear.Single(Get(weight, layer, outputs, inputs), 0,
        inputs, outputs, outIn: true, bias is { } b ? Read(b, layer, outputs) : null);

    public Linear PatchEmbedding()
    {
        int p = arch.Vision.Patch, d = arch.Vision.Width;
        var kernel = Get(K.PatchKernel, -1, d, 3, p, p);
        return Linear.Single(kernel, 0, 3 * p * p, d, outIn: true, Read(K.PatchBias, -1, d));
    }

    public float[] PositionEmbedding() => Read(K.PositionEmbedding, -1, arch.Vision.Tokens, arch.Vision.Width);

    public Linear Vision(VisionLinear which, int layer)
    {
        int d = arch.Vision.Width, m = arch.Vision.Mlp;
        return which switch
        {
            VisionLinear.Q => Dense(K.VisionQKernel, K.VisionQBias, layer, d, d),
            VisionLinear.K => Dense(K.VisionKKernel, K.VisionKBias, layer, d, d),
            VisionLinear.V => Dense(K.VisionVKernel, K.VisionVBias, layer, d, d),
            VisionLinear.Out => Dense(K.VisionOutKernel, K.VisionOutBias, layer, d, d),
            VisionLinear.Fc1 => Dense(K.VisionFc1Kernel, K.VisionFc1Bias, layer, d, m),
            _ => Dense(K.VisionFc2Kernel, K.VisionFc2Bias, layer, m, d),
        };
    }

    public (float[] scale, float[] bias) Vision(VisionNorm which, int layer)
    {
        int d = arch.Vision.Width;
        return which == VisionNorm.Ln1 ? (Read(K.VisionLn1Scale, layer, d), Read(K.VisionLn1Bias, layer, d))
            : (Read(K.VisionLn2Scale, layer, d), Read(K.VisionLn2Bias, layer, d));
    }

    public (float[] scale, float[] bias) VisionFinalNorm() =>
        (Read(K.VisionFinalNormScale, -1, arch.Vision.Width), Read(K.VisionFinalNormBias, -1, arch.Vision.Width));

    public Linear Projection() => Dense(K.ProjectionKernel, K.ProjectionBias, -1, arch.Vision.Width, arch.Decoder.Width);

    private TensorInfo Embedding => Get(K.Embedding, -1, VocabRows, arch.Decoder.Width);

    public void EmbedToken(int token, Span<float> row)
    {
        if (token < 0 || token >= VocabRows)
            throw new BadInputException("inputs", $"token {token} is outside the vocabulary of {VocabRows}");
        Embedding.ReadF32((long)token * arch.Decoder.Width, row);
    }

    public Linear Decoder(DecoderLinear which, int layer)
    {
        var a = arch.Decoder;
        int w = a.Width, q = a.Heads * a.HeadDim, kv = a.KvHeads * a.HeadDim;
        return which switch
        {
            DecoderLinear.Q => Dense(K.Q, null, layer, w, q),
            DecoderLinear.K => Dense(K.K, null, layer, w, kv),
            DecoderLinear.V => Dense(K.V, null, layer, w, kv),
            DecoderLinear.Out => Dense(K.O, null, layer, q, w),
            DecoderLinear.Gate => Dense(K.Gate, null, layer, w, a.Mlp),
            DecoderLinear.Up => Dense(K.Up, null, layer, w, a.Mlp),
            _ => Dense(K.Down, null, layer, a.Mlp, w),
        };
    }

    public float[] Decoder(DecoderNorm which, int layer) => Read(which.Kind(), layer, arch.Decoder.Width);

    public float[] FinalNorm() => Read(K.FinalNorm, -1, arch.Decoder.Width);

    public Linear Unembed() => Linear.Single(Embedding, 0, arch.Decoder.Width, VocabRows, outIn: true);
}
