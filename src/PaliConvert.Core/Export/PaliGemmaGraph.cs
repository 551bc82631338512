using Google.Protobuf;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Tensors;
using static PaliConvert.Formats.Onnx.GraphBuilder;
using K = PaliConvert.Models.TensorKind;

namespace PaliConvert.Export;

/// <summary>
/// PaliGemma as an ONNX graph (opset 23), the same computation as the reference forward pass. Weights are the
/// Hugging Face tensors in their own layout ([out, in], used by Gemm with transB), stored as f32 or f16 (cast up at
/// use: ONNX Runtime's CPU kernels have no bf16), or the linear layers' quantized. RMSNorm and RoPE are spelled out
/// in plain operators.
/// </summary>
public sealed partial class PaliGemmaGraph(GraphBuilder g, PaliGemmaArch a, IReadOnlyDictionary<string, TensorView> weights,
    OnnxWeights format)
{
    private readonly DType storage = format.DType.FloatStorage();

    /// <summary>The initializer holding a kind of tensor: its Hugging Face name.</summary>
    private string N(TensorKind kind, int layer = -1) => HfNames.Of(kind, a.Family, layer);
    private readonly Dictionary<string, string> _used = new();

    /// <summary>A weight as float32 in the graph (an f16 initializer is cast once).</summary>
    private string W(string name)
    {
        if (_used.TryGetValue(name, out var v)) return v;
        if (!weights.TryGetValue(name, out var view)) throw new BadInputException(name, $"the model has no tensor '{name}' to export",
            name);
        string init = g.Weight(name, view, storage);
        return _used[name] = storage == DType.F32 ? init : g.Node("Cast", [init], CastTo(DType.F32));
    }

    /// <summary>Pixel values NCHW -> image tokens after the projection [B, T, W].</summary>
    public string Vision(string pixels)
    {
        var v = a.Vision;
        string x = g.Node("Conv", [pixels, W(N(K.PatchKernel)), W(N(K.PatchBias))],
            IntList("kernel_shape", v.Patch, v.Patch), IntList("strides", v.Patch, v.Patch));
        x = g.Node("Reshape", [x, g.IntsVector(0, v.Width, -1)]);
        x = g.Node("Transpose", [x], IntList("perm", 0, 2, 1));
        x = g.Node("Add", [x, W(N(K.PositionEmbedding))]);
        var bs = g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(0), g.IntsVector(2)]);
        for (int l = 0; l < v.Layers; l++)
        {
            string y = LayerNorm(x, K.VisionLn1Scale, K.VisionLn1Bias, l);
            string q = Heads(Linear(y, K.VisionQKernel, K.VisionQBias, l, v.Width, bs), bs, v.Heads, v.HeadDim);
            string k = Heads(Linear(y, K.VisionKKernel, K.VisionKBias, l, v.Width, bs), bs, v.Heads, v.HeadDim);
            string val = Heads(Linear(y, K.VisionVKernel, K.VisionVBias, l, v.Width, bs), bs, v.Heads, v.HeadDim);
            string s = g.Node("Mul", [g.Node("MatMul", [q, g.Node("Transpose", [k], IntList("perm", 0, 1, 3, 2))]),
                g.Scalar(1f / MathF.Sqrt(v.HeadDim))]);
            string o = Merge(g.Node("MatMul", [g.Node("Softmax", [s], Int("axis", -1)), val]), bs, v.Width);
            x = g.Node("Add", [x, Linear(o, K.VisionOutKernel, K.VisionOutBias, l, v.Width, bs)]);
            y = LayerNorm(x, K.VisionLn2Scale, K.VisionLn2Bias, l);
            string h = Gelu(Linear(y, K.VisionFc1Kernel, K.VisionFc1Bias, l, v.Mlp, bs), v.Activation);
            x = g.Node("Add", [x, Linear(h, K.VisionFc2Kernel, K.VisionFc2Bias, l, v.Width, bs)]);
        }
        x = LayerNorm(x, K.VisionFinalNormScale, K.VisionFinalNormBias);
        return Linear(x, K.ProjectionKernel, K.ProjectionBias, -1, a.Decoder.Width, bs);
    }

    /// <summary>Image features as web runtimes expect them: divided by sqrt(W), which the decoder multiplies back.</summary>
    public string ImageFeatures(string pixels) => g.Node("Div", [Vision(pixels), g.Scalar(MathF.Sqrt(a.Decoder.Width))]);

    /// <summary>Token embeddings [B, T, W], unscaled (as HF's embed_tokens).</summary>
    public string Embed(string inputIds) => g.Node("Gather", [W(N(K.Embedding)), inputIds]);

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
        var zeros = g.Node("ConstantOfShape", [g.Node("Concat", [b1, g.IntsVector(tokens)], Int("axis", 0))],
            TensorAttr("value", DType.I64, BitConverter.GetBytes(0L)));
        var masks = PrefixLmMask(g.Node("Concat", [zeros, tokenTypes], Int("axis", 1)), s1);
        var pos = g.Node("Cast", [g.Node("Range", [g.Ints([0], []), g.Node("Squeeze", [s1, g.IntsVector(0)]), g.Ints([1], [])])],
            CastTo(DType.F32));
        var (sin, cos) = RopeAngles(g.Node("Unsqueeze", [pos, g.IntsVector(1)])); // [S, H/2]
        var (y, _) = Layers(x, sin, cos, masks, null);
        y = g.Node("Slice", [y, g.IntsVector(tokens), g.IntsVector(long.MaxValue), g.IntsVector(1)]);
        return Logits(y, g.Node("Shape", [inputIds]));
    }

    /// <summary>
    /// The decoder with a key/value cache, as web runtimes run it: inputs_embeds [B, S, W] (image features already
    /// divided by sqrt(W), text embeddings as embed_tokens gives them), attention_mask over the P + S positions,
    /// position_ids [B, S], past keys and values [B, K, P, H] per layer. The S tokens of a call see each other and the
    /// whole cache: image + prompt in one call, then one token per call, is exactly PaliGemma's prefix-LM. Returns
    /// logits [B, S, V] and the present keys and values [B, K, P + S, H].
    /// </summary>
    public (string logits, List<(string key, string value)> present) CachedDecoder(string embeds, string attentionMask,
        string positionIds, IReadOnlyList<(string key, string value)> past)
    {
        string x = g.Node("Mul", [embeds, g.Scalar(MathF.Sqrt(a.Decoder.Width))]);
        var s1 = g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(1), g.IntsVector(2)]);
        var masks = CallMask(attentionMask, s1);
        var angles = g.Node("Unsqueeze", [g.Node("Cast", [positionIds], CastTo(DType.F32)), g.IntsVector(2)]); // [B, S, 1]
        var (sin, cos) = RopeAngles(angles);
        (sin, cos) = (g.Node("Unsqueeze", [sin, g.IntsVector(1)]), g.Node("Unsqueeze", [cos, g.IntsVector(1)])); // [B, 1, S, H/2]
        var (y, present) = Layers(x, sin, cos, masks, past);
        return (Logits(y, g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(0), g.IntsVector(2)])), present);
    }

    private (string x, List<(string key, string value)> present) Layers(string x, string sin, string cos,
        (string full, string? sliding) masks, IReadOnlyList<(string key, string value)>? past)
    {
        var d = a.Decoder;
        int h = d.HeadDim, n = d.Heads, k = d.KvHeads;
        bool gemma2 = a.Family == GemmaFamily.Gemma2;
        var bs = g.Node("Slice", [g.Node("Shape", [x]), g.IntsVector(0), g.IntsVector(2)]);
        var present = new List<(string, string)>();
        for (int l = 0; l < d.Layers; l++)
        {
            string y = RmsNorm(x, K.PreAttentionNorm, l);
            string q = Rope(Heads(Linear(y, K.Q, null, l, n * h, bs), bs, n, h), sin, cos, h);
            string kk = Rope(Heads(Linear(y, K.K, null, l, k * h, bs), bs, k, h), sin, cos, h);
            string vv = Heads(Linear(y, K.V, null, l, k * h, bs), bs, k, h);
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
            string attended = Merge(g.Node("MatMul", [g.Node("Softmax", [s], Int("axis", -1)), Repeat(vv, n / k, n, h)]), bs, n * h);
            string o = Linear(attended, K.O, null, l, d.Width, bs);
            if (gemma2) o = RmsNorm(o, K.PostAttentionNorm, l);
            x = g.Node("Add", [x, o]);
            y = RmsNorm(x, K.PreFeedForwardNorm, l);
            string gate = Gelu(Linear(y, K.Gate, null, l, d.Mlp, bs), d.Activation);
            string m = Linear(g.Node("Mul", [gate, Linear(y, K.Up, null, l, d.Mlp, bs)]), K.Down, null, l, d.Width, bs);
            if (gemma2) m = RmsNorm(m, K.PostFeedForwardNorm, l);
            x = g.Node("Add", [x, m]);
        }
        return (RmsNorm(x, K.FinalNorm), present);
    }

    /// <summary>
    /// logits = x E^T with the tied embedding, [out, in] as stored (no transposed copy); leading dims from <paramref name="lead"/>.
    /// </summary>
    private string Logits(string x, string lead)
    {
        int vocab = (int)weights[N(K.Embedding)].OutputShape[0];
        string flat = g.Node("Reshape", [x, g.IntsVector(-1, a.Decoder.Width)]);
        string logits = format.DType.IsQuantized() ? QuantizedMatMul(flat, N(K.Embedding))
            : g.Node("Gemm", [flat, W(N(K.Embedding))], Int("transB", 1));
        return g.Node("Reshape", [logits, g.Node("Concat", [lead, g.IntsVector(vocab)], Int("axis", 0))]);
    }

}
