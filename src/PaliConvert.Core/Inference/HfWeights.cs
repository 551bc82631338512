using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// Weights read from a Hugging Face folder's per-layer Linear tensors ([out, in]), written from the HF model code's point of view.
/// </summary>
public sealed class HfWeights(Checkpoint ck, PaliGemmaArch arch) : IModelWeights
{
    private const string Vis = TensorNames.HfVision, Lm = TensorNames.HfDecoder;

    public PaliGemmaArch Arch => arch;
    public int VocabRows => arch.Decoder.Vocab;
    public PatchOrder PatchOrder => PatchOrder.ChannelRowColumn; // Conv2d weight (D, 3, P, P)

    private float[] Read(string name)
    {
        var t = ck.Get(name);
        var v = new float[t.Elements];
        t.ReadF32(0, v);
        return v;
    }

    private Linear Dense(string prefix, int inputs, int outputs, bool bias) =>
        Linear.Single(ck.Get(prefix + ".weight"), 0, inputs, outputs, outIn: true, bias ? Read(prefix + ".bias") : null);

    public Linear PatchEmbedding()
    {
        int p = arch.Vision.Patch, d = arch.Vision.Width;
        return Dense(Vis + "embeddings.patch_embedding", 3 * p * p, d, bias: true);
    }

    public float[] PositionEmbedding() => Read(Vis + "embeddings.position_embedding.weight");

    public Linear Vision(VisionLinear which, int layer)
    {
        int d = arch.Vision.Width, m = arch.Vision.Mlp;
        string l = $"{Vis}encoder.layers.{layer}.";
        return which switch
        {
            VisionLinear.Q => Dense(l + "self_attn.q_proj", d, d, true),
            VisionLinear.K => Dense(l + "self_attn.k_proj", d, d, true),
            VisionLinear.V => Dense(l + "self_attn.v_proj", d, d, true),
            VisionLinear.Out => Dense(l + "self_attn.out_proj", d, d, true),
            VisionLinear.Fc1 => Dense(l + "mlp.fc1", d, m, true),
            _ => Dense(l + "mlp.fc2", m, d, true),
        };
    }

    public (float[] scale, float[] bias) Vision(VisionNorm which, int layer)
    {
        string n = $"{Vis}encoder.layers.{layer}.{(which == VisionNorm.Ln1 ? "layer_norm1" : "layer_norm2")}";
        return (Read(n + ".weight"), Read(n + ".bias"));
    }

    public (float[] scale, float[] bias) VisionFinalNorm() => (Read(Vis + "post_layernorm.weight"), Read(Vis + "post_layernorm.bias"));

    public Linear Projection() => Dense("multi_modal_projector.linear", arch.Vision.Width, arch.Decoder.Width, true);

    public void EmbedToken(int token, Span<float> row)
    {
        if (token < 0 || token >= VocabRows)
            throw new BadInputException("inputs", $"token {token} is outside the vocabulary of {VocabRows}");
        ck.Get(Lm + "embed_tokens.weight").ReadF32((long)token * arch.Decoder.Width, row);
    }

    public Linear Decoder(DecoderLinear which, int layer)
    {
        var a = arch.Decoder;
        int w = a.Width, q = a.Heads * a.HeadDim, kv = a.KvHeads * a.HeadDim;
        string l = $"{Lm}layers.{layer}.";
        return which switch
        {
            DecoderLinear.Q => Dense(l + "self_attn.q_proj", w, q, false),
            DecoderLinear.K => Dense(l + "self_attn.k_proj", w, kv, false),
            DecoderLinear.V => Dense(l + "self_attn.v_proj", w, kv, false),
            DecoderLinear.Out => Dense(l + "self_attn.o_proj", q, w, false),
            DecoderLinear.Gate => Dense(l + "mlp.gate_proj", w, a.Mlp, false),
            DecoderLinear.Up => Dense(l + "mlp.up_proj", w, a.Mlp, false),
            _ => Dense(l + "mlp.down_proj", a.Mlp, w, false),
        };
    }

    public float[] Decoder(DecoderNorm which, int layer)
    {
        string l = $"{Lm}layers.{layer}.";
        bool gemma2 = arch.Family == 2;
        return Read(l + which switch
        {
            DecoderNorm.PreAttention => "input_layernorm.weight",
            // Gemma: post_attention_layernorm is the norm before the MLP; Gemma 2 names that pre_feedforward_layernorm
            DecoderNorm.PreFeedForward => gemma2 ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight",
            DecoderNorm.PostAttention => "post_attention_layernorm.weight",
            _ => "post_feedforward_layernorm.weight",
        });
    }

    public float[] FinalNorm() => Read(Lm + "norm.weight");

    public Linear Unembed() => Linear.Single(ck.Get(Lm + "embed_tokens.weight"), 0, arch.Decoder.Width, VocabRows, outIn: true);
}
