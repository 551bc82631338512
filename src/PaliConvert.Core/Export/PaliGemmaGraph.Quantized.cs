using PaliConvert.Formats.Onnx;
using PaliConvert.Formats.Quantized;
using PaliConvert.Tensors;
using static PaliConvert.Formats.Onnx.GraphBuilder;

namespace PaliConvert.Export;

/// <summary>
/// Linear layers with quantized weights, as ONNX Runtime's quantizers write them: q8 as dynamic quantization
/// (DynamicQuantizeLinear, MatMulInteger, then the two scales), q4 and q4f16 as MatMulNBits (q4f16 casts its input to
/// f16 and its output back, so everything around it stays f32).
/// </summary>
public sealed partial class PaliGemmaGraph
{
    /// <summary>flat [M, K] times the transpose of the [N, K] weight <paramref name="name"/>: [M, N].</summary>
    private string QuantizedMatMul(string flat, string name)
    {
        if (!weights.TryGetValue(name, out var view)) throw new BadInputException(name, $"the model has no tensor '{name}' to export",
            name);
        return format.DType == OnnxDType.Q8 ? Int8MatMul(flat, name, view) : Int4MatMul(flat, name, view);
    }

    private string Int8MatMul(string flat, string name, TensorView view)
    {
        var q = new Int8Channels(view, format.Symmetric);
        string codes = g.Weight(name + "_quantized", q.Codes);
        string scales = g.Weight(name + "_scale", q.Scales);
        string zeros = g.Weight(name + "_zero_point", q.ZeroPoints);
        var x = g.Node("DynamicQuantizeLinear", [flat], 3);
        string y = g.Node("MatMulInteger", [x[0], codes, x[2], zeros]);
        return g.Node("Mul", [g.Node("Cast", [y], CastTo(DType.F32)), g.Node("Mul", [x[1], scales])]);
    }

    private string Int4MatMul(string flat, string name, TensorView view)
    {
        bool half = format.DType == OnnxDType.Q4F16;
        var q = new Int4Blocks(view, format.BlockSize, format.Symmetric, half ? DType.F16 : DType.F32);
        var inputs = new List<string>
        {
            half ? g.Node("Cast", [flat], CastTo(DType.F16)) : flat,
            g.Weight(name + "_Q4", q.Codes),
            g.Weight(name + "_scales", q.Scales),
        };
        if (q.ZeroPoints is { } zeros) inputs.Add(g.Weight(name + "_zero_points", zeros));
        string y = g.Node(GraphBuilder.Microsoft, "MatMulNBits", [.. inputs], 1, Int("K", q.K), Int("N", q.N), Int("bits", 4),
            Int("block_size", format.BlockSize))[0];
        return half ? g.Node("Cast", [y], CastTo(DType.F32)) : y;
    }
}
