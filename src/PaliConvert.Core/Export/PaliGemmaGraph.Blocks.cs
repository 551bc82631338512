using Google.Protobuf;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Tensors;
using static PaliConvert.Formats.Onnx.GraphBuilder;

namespace PaliConvert.Export;

/// <summary>The graph's building blocks: masks, RoPE, linear layers and norms, spelled out in plain ONNX operators.</summary>
public sealed partial class PaliGemmaGraph
{
    /// <summary>
    /// Masks [B, 1, S, T] over T = P + S keys for the last S queries (types over all T positions): full layers', and
    /// sliding layers' (null without a window), as the reference pass's Visible: |i - j| &lt; window or the same group.
    /// </summary>
    private (string full, string? sliding) PrefixLmMask(string types, string s1)
    {
        var c = g.Node("CumSum", [types, g.Ints([1], [])]);
        var cq = g.Node("Slice", [c, g.Node("Neg", [s1]), g.IntsVector(long.MaxValue), g.IntsVector(1)]);
        var (ck, cqu) = (g.Node("Unsqueeze", [c, g.IntsVector(1)]), g.Node("Unsqueeze", [cq, g.IntsVector(2)]));
        var allowed = g.Node("LessOrEqual", [ck, cqu]);
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

    /// <summary>
    /// Masks [B, 1, S or 1, T] for a cached call: every key the attention_mask keeps (the cache and the call's own S
    /// tokens, which form one bidirectional block); sliding layers also keep |i - j| &lt; window unless j is in the call.
    /// </summary>
    private (string full, string? sliding) CallMask(string attentionMask, string s1)
    {
        var keep = g.Node("Unsqueeze", [g.Node("Cast", [attentionMask], CastTo(DType.Bool)), g.IntsVector(1, 2)]); // [B, 1, 1, T]
        if (a.Decoder.SlidingWindow <= 0) return (keep, null);
        var t1 = g.Node("Slice", [g.Node("Shape", [attentionMask]), g.IntsVector(1), g.IntsVector(2)]);
        var keys = g.Node("Range", [g.Ints([0], []), g.Node("Squeeze", [t1, g.IntsVector(0)]), g.Ints([1], [])]);
        var queries = g.Node("Slice", [keys, g.Node("Neg", [s1]), g.IntsVector(long.MaxValue)]);
        var distance = g.Node("Abs", [g.Node("Sub", [g.Node("Unsqueeze", [queries, g.IntsVector(1)]), keys])]); // [S, T]
        var near = g.Node("Less", [distance, g.Ints([a.Decoder.SlidingWindow], [])]);
        var inCall = g.Node("GreaterOrEqual", [keys, g.Node("Squeeze", [g.Node("Sub", [t1, s1]), g.IntsVector(0)])]); // [T]
        return (keep, g.Node("And", [keep, g.Node("Or", [near, inCall])]));
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

    /// <summary>x [B, S, in] -> [B, S, out] with an [out, in] weight (Gemm, transB) and optional bias.</summary>
    private string Linear(string x, TensorKind weight, TensorKind? bias, int layer, int outputs, string bs)
    {
        string w = N(weight, layer);
        string? b = bias is { } kind ? N(kind, layer) : null;
        string flat = g.Node("Reshape", [x, g.IntsVector(-1, weights[w].OutputShape[1])]);
        string y;
        if (format.DType.IsQuantized())
        {
            y = QuantizedMatMul(flat, w);
            if (b != null) y = g.Node("Add", [y, W(b)]);
        }
        else y = g.Node("Gemm", b != null ? [flat, W(w), W(b)] : [flat, W(w)], Int("transB", 1));
        return g.Node("Reshape", [y, g.Node("Concat", [bs, g.IntsVector(outputs)], Int("axis", 0))]);
    }

    private string LayerNorm(string x, TensorKind scale, TensorKind bias, int layer = -1) =>
        g.Node("LayerNormalization", [x, W(N(scale, layer)), W(N(bias, layer))], Int("axis", -1),
            Float("epsilon", (float)a.Vision.NormEps));

    /// <summary>HF's gelu_pytorch_tanh and gelu_new are ONNX's tanh approximation; "gelu" is the exact one.</summary>
    private string Gelu(string x, Activation activation) =>
        g.Node("Gelu", [x], String("approximate", activation.IsTanh() ? "tanh" : "none"));

    /// <summary>Gemma's RMSNorm: x * 1/sqrt(mean(x^2) + eps) * (1 + scale).</summary>
    private string RmsNorm(string x, TensorKind kind, int layer = -1)
    {
        string scale = N(kind, layer);
        string ms = g.Node("ReduceMean", [g.Node("Mul", [x, x]), g.IntsVector(-1)], Int("keepdims", 1));
        string inv = g.Node("Reciprocal", [g.Node("Sqrt", [g.Node("Add", [ms, g.Scalar((float)a.Decoder.NormEps)])])]);
        return g.Node("Mul", [g.Node("Mul", [x, inv]), g.Node("Add", [W(scale), g.Scalar(1f)])]);
    }

    /// <summary>[B, S, heads*h] -> [B, heads, S, h].</summary>
    private string Heads(string x, string bs, int heads, int h) =>
        g.Node("Transpose", [g.Node("Reshape", [x, g.Node("Concat", [bs, g.IntsVector(heads, h)], Int("axis", 0))])],
            IntList("perm", 0, 2, 1, 3));

    /// <summary>[B, heads, S, h] -> [B, S, heads*h].</summary>
    private string Merge(string x, string bs, int width) =>
        g.Node("Reshape", [g.Node("Transpose", [x], IntList("perm", 0, 2, 1, 3)),
            g.Node("Concat", [bs, g.IntsVector(width)], Int("axis", 0))]);

    /// <summary>Each kv head repeated for the query heads that share it: [B, K, T, h] -> [B, N, T, h].</summary>
    private string Repeat(string x, int r, int heads, int h) =>
        r == 1 ? x : g.Node("Reshape", [g.Node("Expand", [g.Node("Unsqueeze", [x, g.IntsVector(2)]), g.IntsVector(1, 1, r, 1, 1)]),
            g.IntsVector(0, heads, -1, h)]);

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
