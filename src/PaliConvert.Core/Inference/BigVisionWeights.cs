using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>Weights read straight from a big_vision checkpoint's stacked einsum tensors (or their unstacked copies).</summary>
public sealed class BigVisionWeights(Checkpoint ck, PaliGemmaArch arch) : IModelWeights
{
    private const string Enc = "img/Transformer/encoderblock/", Attn = Enc + "MultiHeadDotProductAttention_0/", Lay = "llm/layers/";

    public PaliGemmaArch Arch => arch;
    public int VocabRows => arch.Decoder.Vocab;
    public PatchOrder PatchOrder => PatchOrder.RowColumnChannel;

    /// <summary>Layer <paramref name="i"/> of a stacked tensor: the tensor and the element offset of that layer.</summary>
    private (TensorInfo t, long offset) Layer(string stacked, int i)
    {
        if (ck.Find(stacked) is { } t) return (t, i * (t.Elements / t.Shape[0]));
        return (ck.Get(LayerNames.Unstacked(stacked, i)), 0);
    }

    private float[] Read(string stacked, int i, int n)
    {
        var (t, off) = Layer(stacked, i);
        var v = new float[n];
        t.ReadF32(off, v);
        return v;
    }

    private float[] Read(string name)
    {
        var t = ck.Get(name);
        var v = new float[t.Elements];
        t.ReadF32(0, v);
        return v;
    }

    public Linear PatchEmbedding()
    {
        int p = arch.Vision.Patch, d = arch.Vision.Width;
        return Linear.Single(ck.Get("img/embedding/kernel"), 0, p * p * 3, d, outIn: false, Read("img/embedding/bias"));
    }

    public float[] PositionEmbedding() => Read("img/pos_embedding");

    public Linear Vision(VisionLinear which, int layer)
    {
        int d = arch.Vision.Width, m = arch.Vision.Mlp;
        (string w, string b, int inputs, int outputs) = which switch
        {
            VisionLinear.Q => (Attn + "query/kernel", Attn + "query/bias", d, d),
            VisionLinear.K => (Attn + "key/kernel", Attn + "key/bias", d, d),
            VisionLinear.V => (Attn + "value/kernel", Attn + "value/bias", d, d),
            VisionLinear.Out => (Attn + "out/kernel", Attn + "out/bias", d, d),
            VisionLinear.Fc1 => (Enc + "MlpBlock_0/Dense_0/kernel", Enc + "MlpBlock_0/Dense_0/bias", d, m),
            _ => (Enc + "MlpBlock_0/Dense_1/kernel", Enc + "MlpBlock_0/Dense_1/bias", m, d),
        };
        var (t, off) = Layer(w, layer);
        return Linear.Single(t, off, inputs, outputs, outIn: false, Read(b, layer, outputs));
    }

    public (float[] scale, float[] bias) Vision(VisionNorm which, int layer)
    {
        string ln = Enc + (which == VisionNorm.Ln1 ? "LayerNorm_0/" : "LayerNorm_1/");
        return (Read(ln + "scale", layer, arch.Vision.Width), Read(ln + "bias", layer, arch.Vision.Width));
    }

    public (float[] scale, float[] bias) VisionFinalNorm()
        => (Read("img/Transformer/encoder_norm/scale"), Read("img/Transformer/encoder_norm/bias"));

    public Linear Projection() => Linear.Single(ck.Get("img/head/kernel"), 0, arch.Vision.Width, arch.Decoder.Width, outIn: false,
        Read("img/head/bias"));

    public void EmbedToken(int token, Span<float> row)
    {
        if (token < 0 || token >= VocabRows)
            throw new BadInputException("inputs", $"token {token} is outside the vocabulary of {VocabRows}");
        ck.Get(TensorNames.BigVisionEmbedding).ReadF32((long)token * arch.Decoder.Width, row);
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
                (string name, int part) = a.FusedQkv ? (Lay + "attn/qkv_einsum/w", (int)which) : which == DecoderLinear.Q
                    ? (Lay + "attn/q_einsum/w", -1) : (Lay + "attn/kv_einsum/w", which == DecoderLinear.K ? 0 : 1);
                var (t, off) = Layer(name, layer);
                long start = off + (part < 0 ? 0 : (long)part * heads * w * h);
                var blocks = Enumerable.Range(0, heads).Select(j => new LinearBlock(t, start + (long)j * w * h, false, j * h, h)).ToArray();
                return new Linear(w, heads * h, blocks);
            }
            case DecoderLinear.Out:
            {
                var (t, off) = Layer(Lay + "attn/attn_vec_einsum/w", layer); // (N, H, W): [N*H, W]
                return Linear.Single(t, off, n * h, w, outIn: false);
            }
            case DecoderLinear.Gate or DecoderLinear.Up:
            {
                var (t, off) = Layer(Lay + "mlp/gating_einsum", layer); // (2, W, F)
                return Linear.Single(t, off + (which == DecoderLinear.Up ? (long)w * f : 0), w, f, outIn: false);
            }
            default:
            {
                var (t, off) = Layer(Lay + "mlp/linear", layer); // (F, W)
                return Linear.Single(t, off, f, w, outIn: false);
            }
        }
    }

    public float[] Decoder(DecoderNorm which, int layer) => Read(Lay + which switch
    {
        DecoderNorm.PreAttention => "pre_attention_norm/scale",
        DecoderNorm.PreFeedForward => "pre_ffw_norm/scale",
        DecoderNorm.PostAttention => "post_attention_norm/scale",
        _ => "post_ffw_norm/scale",
    }, layer, arch.Decoder.Width);

    public float[] FinalNorm() => Read("llm/final_norm/scale");

    public Linear Unembed() => Linear.Single(ck.Get(TensorNames.BigVisionEmbedding), 0, arch.Decoder.Width, VocabRows, outIn: true);
}
