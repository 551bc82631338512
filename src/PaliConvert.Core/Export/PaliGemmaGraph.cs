using Google.Protobuf;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Tensors;
using static PaliConvert.Formats.Onnx.GraphBuilder;

namespace PaliConvert.Export;

/// <summary>
/// PaliGemma as an ONNX graph (opset 23), the same computation as the reference forward pass. Weights are the
/// Hugging Face tensors in their own layout ([out, in], used by Gemm with transB), stored as f32 or f16 (cast up at
/// use: ONNX Runtime's CPU kernels have no bf16). RMSNorm and RoPE are spelled out in plain operators.
/// </summary>
public sealed class PaliGemmaGraph(GraphBuilder g, PaliGemmaArch a, IReadOnlyDictionary<string, TensorView> weights, DType storage)
{
    private const string Vis = TensorNames.HfVision, Lm = TensorNames.HfDecoder;
    private readonly Dictionary<string, string> _used = new();

    /// <summary>A weight as float32 in the graph (an f16 initializer is cast once).</summary>
    private string W(string name)
    {
        if (_used.TryGetValue(name, out var v)) return v;
        if (!weights.TryGetValue(name, out var view)) throw new InvalidDataException($"the model has no tensor '{name}' to export");
        string init = g.Weight(name, view, storage);
        return _used[name] = storage == DType.F32 ? init : g.Node("Cast", [init], CastTo(DType.F32));
    }

    /// <summary>Pixel values NCHW -> image tokens after the projection [B, T, W].</summary>
    public string Vision(string pixels)
    {
        var v = a.Vision;
        string x = g.Node("Conv", [pixels, W(Vis + "embeddings.patch_embedding.weight"), W(Vis + "embeddings.patch_embedding.bias")],
            IntList("kernel_shape", v.Patch, v.Patch), IntList("strides", v.Patch, v.Patch));
        x = g.Node("Reshape", [x, g.IntsVector(0, v.Width, -1)]);
        x = g.Node("Transpose", [x], IntList("perm", 0, 2, 1));
        x = g.Node("Add", [x, W(Vis + "embeddings.position_embedding.weight")]);
        var bs = g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(0), g.IntsVector(2)]);
        for (int l = 0; l < v.Layers; l++)
        {
            string p = $"{Vis}encoder.layers.{l}.";
            string y = LayerNorm(x, p + "layer_norm1");
            string q = Heads(Linear(y, p + "self_attn.q_proj", v.Width, bs, true), bs, v.Heads, v.HeadDim);
            string k = Heads(Linear(y, p + "self_attn.k_proj", v.Width, bs, true), bs, v.Heads, v.HeadDim);
            string val = Heads(Linear(y, p + "self_attn.v_proj", v.Width, bs, true), bs, v.Heads, v.HeadDim);
            string s = g.Node("Mul", [g.Node("MatMul", [q, g.Node("Transpose", [k], IntList("perm", 0, 1, 3, 2))]), g.Scalar(1f / MathF.Sqrt(v.HeadDim))]);
            string o = Merge(g.Node("MatMul", [g.Node("Softmax", [s], Int("axis", -1)), val]), bs, v.Width);
            x = g.Node("Add", [x, Linear(o, p + "self_attn.out_proj", v.Width, bs, true)]);
            y = LayerNorm(x, p + "layer_norm2");
            string h = Gelu(Linear(y, p + "mlp.fc1", v.Mlp, bs, true), v.Activation);
            x = g.Node("Add", [x, Linear(h, p + "mlp.fc2", v.Width, bs, true)]);
        }
        x = LayerNorm(x, Vis + "post_layernorm");
        return Linear(x, "multi_modal_projector.linear", a.Decoder.Width, bs, true);
    }

    /// <summary>Image features as web runtimes expect them: divided by sqrt(W), which the decoder multiplies back.</summary>
    public string ImageFeatures(string pixels) => g.Node("Div", [Vision(pixels), g.Scalar(MathF.Sqrt(a.Decoder.Width))]);

    /// <summary>Token embeddings [B, T, W], unscaled (as HF's embed_tokens).</summary>
    public string Embed(string inputIds) => g.Node("Gather", [W(Lm + "embed_tokens.weight"), inputIds]);

    /// <summary>
    /// Decoder over [image tokens; text] with the prefix-LM mask: mar = [0 for image; token types], attend j from i
    /// iff cumsum(mar)[j] &lt;= cumsum(mar)[i]. Positions 0..S-1, no cache. Returns text logits [B, T, V].
    /// </summary>
    public string Decoder(string zimg, string textEmbeddings, string tokenTypes, string inputIds)
    {
        var d = a.Decoder;
        int tokens = a.Vision.Tokens;
        string x = g.Node("Concat", [zimg, g.Node("Mul", [textEmbeddings, g.Scalar(MathF.Sqrt(d.Width))])], Int("axis", 1));
        var shape = g.Node("Shape", [x]);
        var b1 = g.Node("Slice", [shape, g.IntsVector(0), g.IntsVector(1)]);
        var s1 = g.Node("Slice", [shape, g.IntsVector(1), g.IntsVector(2)]);
        var zeros = g.Node("ConstantOfShape", [g.Node("Concat", [b1, g.IntsVector(tokens)], Int("axis", 0))], TensorAttr("value", DType.I64, BitConverter.GetBytes(0L)));
        var masks = PrefixLmMask(g.Node("Concat", [zeros, tokenTypes], Int("axis", 1)), null, s1);
        var pos = g.Node("Cast", [g.Node("Range", [g.Ints([0], []), g.Node("Squeeze", [s1, g.IntsVector(0)]), g.Ints([1], [])])], CastTo(DType.F32));
        var (sin, cos) = RopeAngles(g.Node("Unsqueeze", [pos, g.IntsVector(1)])); // [S, H/2]
        var (y, _) = Layers(x, sin, cos, masks, null);
        y = g.Node("Slice", [y, g.IntsVector(tokens), g.IntsVector(long.MaxValue), g.IntsVector(1)]);
        return Logits(y, g.Node("Shape", [inputIds]));
    }

    /// <summary>
    /// The decoder with a key/value cache, as web runtimes run it: inputs_embeds [B, S, W] (image features already
    /// divided by sqrt(W), text embeddings as embed_tokens gives them), attention_mask and token_type_ids over the
    /// P + S positions, position_ids [B, S], past keys and values [B, K, P, H] per layer. Returns logits [B, S, V]
    /// and the present keys and values [B, K, P + S, H].
    /// </summary>
    public (string logits, List<(string key, string value)> present) CachedDecoder(string embeds, string attentionMask, string tokenTypes, string positionIds, IReadOnlyList<(string key, string value)> past)
    {
        string x = g.Node("Mul", [embeds, g.Scalar(MathF.Sqrt(a.Decoder.Width))]);
        var s1 = g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(1), g.IntsVector(2)]);
        var masks = PrefixLmMask(tokenTypes, attentionMask, s1);
        var angles = g.Node("Unsqueeze", [g.Node("Cast", [positionIds], CastTo(DType.F32)), g.IntsVector(2)]); // [B, S, 1]
        var (sin, cos) = RopeAngles(angles);
        (sin, cos) = (g.Node("Unsqueeze", [sin, g.IntsVector(1)]), g.Node("Unsqueeze", [cos, g.IntsVector(1)])); // [B, 1, S, H/2]
        var (y, present) = Layers(x, sin, cos, masks, past);
        return (Logits(y, g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(0), g.IntsVector(2)])), present);
    }

    /// <summary>
    /// Masks [B, 1, S, T] over T = P + S keys for the last S queries (types over all T positions): full layers', and
    /// sliding layers' (null without a window), as the reference pass's Visible: |i - j| &lt; window or the same group.
    /// </summary>
    private (string full, string? sliding) PrefixLmMask(string types, string? attentionMask, string s1)
    {
        var c = g.Node("CumSum", [types, g.Ints([1], [])]);
        var cq = g.Node("Slice", [c, g.Node("Neg", [s1]), g.IntsVector(long.MaxValue), g.IntsVector(1)]);
        var (ck, cqu) = (g.Node("Unsqueeze", [c, g.IntsVector(1)]), g.Node("Unsqueeze", [cq, g.IntsVector(2)]));
        var allowed = g.Node("LessOrEqual", [ck, cqu]);
        if (attentionMask != null)
            allowed = g.Node("And", [allowed, g.Node("Unsqueeze", [g.Node("Cast", [attentionMask], CastTo(DType.Bool)), g.IntsVector(1)])]);
        string? sliding = null;
        if (a.Decoder.SlidingWindow > 0)
        {
            var t1 = g.Node("Slice", [g.Node("Shape", [types]), g.IntsVector(1), g.IntsVector(2)]);
            var keys = g.Node("Range", [g.Ints([0], []), g.Node("Squeeze", [t1, g.IntsVector(0)]), g.Ints([1], [])]);
            var queries = g.Node("Slice", [keys, g.Node("Neg", [s1]), g.IntsVector(long.MaxValue)]);
            var distance = g.Node("Abs", [g.Node("Sub", [g.Node("Unsqueeze", [queries, g.IntsVector(1)]), keys])]); // [S, T]
            var near = g.Node("Less", [distance, g.Ints([a.Decoder.SlidingWindow], [])]);
            sliding = g.Node("Unsqueeze", [g.Node("And", [allowed, g.Node("Or", [near, g.Node("Equal", [ck, cqu])])]), g.IntsVector(1)]);
        }
        return (g.Node("Unsqueeze", [allowed, g.IntsVector(1)]), sliding);
    }

    /// <summary>sin and cos of position / theta^(2i/H), for positions shaped [..., 1].</summary>
    private (string sin, string cos) RopeAngles(string positions)
    {
        int h = a.Decoder.HeadDim;
        float theta = (float)a.Decoder.RopeTheta;
        var timescale = Enumerable.Range(0, h / 2).Select(i => MathF.Pow(theta, 2f * i / h)).ToArray();
        var angle = g.Node("Div", [positions, g.Floats(timescale, h / 2)]);
        return (g.Node("Sin", [angle]), g.Node("Cos", [angle]));
    }

    private (string x, List<(string key, string value)> present) Layers(string x, string sin, string cos, (string full, string? sliding) masks, IReadOnlyList<(string key, string value)>? past)
    {
        var d = a.Decoder;
        int h = d.HeadDim, n = d.Heads, k = d.KvHeads;
        bool gemma2 = a.Family == 2;
        var bs = g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(0), g.IntsVector(2)]);
        var present = new List<(string, string)>();
        for (int l = 0; l < d.Layers; l++)
        {
            string p = $"{Lm}layers.{l}.";
            string y = RmsNorm(x, p + "input_layernorm.weight");
            string q = Rope(Heads(Linear(y, p + "self_attn.q_proj", n * h, bs, false), bs, n, h), sin, cos, h);
            string kk = Rope(Heads(Linear(y, p + "self_attn.k_proj", k * h, bs, false), bs, k, h), sin, cos, h);
            string vv = Heads(Linear(y, p + "self_attn.v_proj", k * h, bs, false), bs, k, h);
            if (past != null)
            {
                kk = g.Node("Concat", [past[l].key, kk], Int("axis", 2));
                vv = g.Node("Concat", [past[l].value, vv], Int("axis", 2));
            }
            present.Add((kk, vv));
            q = g.Node("Mul", [q, g.Scalar((float)(1.0 / Math.Sqrt(d.QueryPreAttnScalar)))]);
            string s = g.Node("MatMul", [q, g.Node("Transpose", [Repeat(kk, n / k, n, h)], IntList("perm", 0, 1, 3, 2))]);
            float cap = (float)d.AttnSoftcap;
            if (cap > 0) s = g.Node("Mul", [g.Node("Tanh", [g.Node("Div", [s, g.Scalar(cap)])]), g.Scalar(cap)]);
            s = g.Node("Where", [d.WindowOf(l) > 0 ? masks.sliding! : masks.full, s, g.Scalar(ModelDefaults.MaskedLogit)]);
            string o = Linear(Merge(g.Node("MatMul", [g.Node("Softmax", [s], Int("axis", -1)), Repeat(vv, n / k, n, h)]), bs, n * h), p + "self_attn.o_proj", d.Width, bs, false);
            if (gemma2) o = RmsNorm(o, p + "post_attention_layernorm.weight");
            x = g.Node("Add", [x, o]);
            y = RmsNorm(x, p + (gemma2 ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
            string gate = Gelu(Linear(y, p + "mlp.gate_proj", d.Mlp, bs, false), d.Activation);
            string m = Linear(g.Node("Mul", [gate, Linear(y, p + "mlp.up_proj", d.Mlp, bs, false)]), p + "mlp.down_proj", d.Width, bs, false);
            if (gemma2) m = RmsNorm(m, p + "post_feedforward_layernorm.weight");
            x = g.Node("Add", [x, m]);
        }
        return (RmsNorm(x, Lm + "norm.weight"), present);
    }

    /// <summary>logits = x E^T with the tied embedding, [out, in] as stored (no transposed copy); leading dims from <paramref name="lead"/>.</summary>
    private string Logits(string x, string lead)
    {
        int vocab = (int)weights[Lm + "embed_tokens.weight"].OutputShape[0];
        string flat = g.Node("Reshape", [x, g.IntsVector(-1, a.Decoder.Width)]);
        string logits = g.Node("Gemm", [flat, W(Lm + "embed_tokens.weight")], Int("transB", 1));
        return g.Node("Reshape", [logits, g.Node("Concat", [lead, g.IntsVector(vocab)], Int("axis", 0))]);
    }

    /// <summary>x [B, S, in] -> [B, S, out] with an [out, in] weight (Gemm, transB) and optional bias.</summary>
    private string Linear(string x, string prefix, int outputs, string bs, bool bias)
    {
        string flat = g.Node("Reshape", [x, g.IntsVector(-1, weights[prefix + ".weight"].OutputShape[1])]);
        string[] inputs = bias ? [flat, W(prefix + ".weight"), W(prefix + ".bias")] : [flat, W(prefix + ".weight")];
        string y = g.Node("Gemm", inputs, Int("transB", 1));
        return g.Node("Reshape", [y, g.Node("Concat", [bs, g.IntsVector(outputs)], Int("axis", 0))]);
    }

    private string LayerNorm(string x, string prefix) =>
        g.Node("LayerNormalization", [x, W(prefix + ".weight"), W(prefix + ".bias")], Int("axis", -1), Float("epsilon", (float)a.Vision.NormEps));

    /// <summary>HF's gelu_pytorch_tanh and gelu_new are ONNX's tanh approximation; "gelu" is the exact one.</summary>
    private string Gelu(string x, string activation) => activation switch
    {
        "gelu_pytorch_tanh" or "gelu_new" => g.Node("Gelu", [x], String("approximate", "tanh")),
        "gelu" => g.Node("Gelu", [x], String("approximate", "none")),
        _ => throw new NotSupportedException($"activation '{activation}' cannot be exported"),
    };

    /// <summary>Gemma's RMSNorm: x * 1/sqrt(mean(x^2) + eps) * (1 + scale).</summary>
    private string RmsNorm(string x, string scale)
    {
        string ms = g.Node("ReduceMean", [g.Node("Mul", [x, x]), g.IntsVector(-1)], Int("keepdims", 1));
        string inv = g.Node("Reciprocal", [g.Node("Sqrt", [g.Node("Add", [ms, g.Scalar((float)a.Decoder.NormEps)])])]);
        return g.Node("Mul", [g.Node("Mul", [x, inv]), g.Node("Add", [W(scale), g.Scalar(1f)])]);
    }

    /// <summary>[B, S, heads*h] -> [B, heads, S, h].</summary>
    private string Heads(string x, string bs, int heads, int h) =>
        g.Node("Transpose", [g.Node("Reshape", [x, g.Node("Concat", [bs, g.IntsVector(heads, h)], Int("axis", 0))])], IntList("perm", 0, 2, 1, 3));

    /// <summary>[B, heads, S, h] -> [B, S, heads*h].</summary>
    private string Merge(string x, string bs, int width) =>
        g.Node("Reshape", [g.Node("Transpose", [x], IntList("perm", 0, 2, 1, 3)), g.Node("Concat", [bs, g.IntsVector(width)], Int("axis", 0))]);

    /// <summary>Each kv head repeated for the query heads that share it: [B, K, T, h] -> [B, N, T, h].</summary>
    private string Repeat(string x, int r, int heads, int h) =>
        r == 1 ? x : g.Node("Reshape", [g.Node("Expand", [g.Node("Unsqueeze", [x, g.IntsVector(2)]), g.IntsVector(1, 1, r, 1, 1)]), g.IntsVector(0, heads, -1, h)]);

    /// <summary>Rotate-half RoPE on [B, heads, S, h].</summary>
    private string Rope(string t, string sin, string cos, int h)
    {
        string t1 = g.Node("Slice", [t, g.IntsVector(0), g.IntsVector(h / 2), g.IntsVector(3)]);
        string t2 = g.Node("Slice", [t, g.IntsVector(h / 2), g.IntsVector(h), g.IntsVector(3)]);
        string r1 = g.Node("Sub", [g.Node("Mul", [t1, cos]), g.Node("Mul", [t2, sin])]);
        string r2 = g.Node("Add", [g.Node("Mul", [t2, cos]), g.Node("Mul", [t1, sin])]);
        return g.Node("Concat", [r1, r2], Int("axis", 3));
    }

    private static AttributeProto TensorAttr(string name, DType dtype, byte[] raw)
    {
        var t = new TensorProto { DataType = OnnxType(dtype), RawData = ByteString.CopyFrom(raw) };
        t.Dims.Add(1);
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
    }
}
