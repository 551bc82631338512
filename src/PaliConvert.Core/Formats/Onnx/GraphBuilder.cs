using Google.Protobuf;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Onnx;

/// <summary>
/// Builds an ONNX graph node by node. Weights are external initializers backed by <see cref="TensorView"/>s, written
/// later by <see cref="OnnxWriter"/>; small constants are inline. Node outputs get unique generated names.
/// </summary>
public sealed class GraphBuilder
{
    public GraphProto Graph { get; } = new() { Name = "paligemma" };
    public List<(TensorProto proto, IWeightData data)> External { get; } = new();

    /// <summary>ONNX Runtime's contrib operators' domain (MatMulNBits), imported at version 1 when a node uses it.</summary>
    public const string Microsoft = "com.microsoft";
    private readonly Dictionary<string, string> _constants = new();
    private int _counter;

    public static int OnnxType(DType d) => d switch
    {
        DType.F32 => (int)TensorProto.Types.DataType.Float,
        DType.F16 => (int)TensorProto.Types.DataType.Float16,
        DType.BF16 => (int)TensorProto.Types.DataType.Bfloat16,
        DType.I64 => (int)TensorProto.Types.DataType.Int64,
        DType.I32 => (int)TensorProto.Types.DataType.Int32,
        DType.Bool => (int)TensorProto.Types.DataType.Bool,
        DType.I8 => (int)TensorProto.Types.DataType.Int8,
        DType.U8 => (int)TensorProto.Types.DataType.Uint8,
        _ => throw new NotSupportedException($"no ONNX type for {d.Label()}"),
    };

    public void Input(string name, DType dtype, params object[] dims) => Graph.Input.Add(Value(name, dtype, dims));
    public void Output(string name, DType dtype, params object[] dims) => Graph.Output.Add(Value(name, dtype, dims));

    private static ValueInfoProto Value(string name, DType dtype, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = OnnxType(dtype), Shape = shape } } };
    }

    /// <summary>A weight stored as external data; the writer gathers the view in row-major order as <paramref name="dtype"/>.</summary>
    public string Weight(string name, TensorView view, DType dtype) => Weight(name, new ViewData(view, dtype));

    /// <summary>A stored tensor whose bytes <paramref name="data"/> produces when the writer reaches it.</summary>
    public string Weight(string name, IWeightData data)
    {
        var t = new TensorProto { Name = name, DataType = OnnxType(data.DType), DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(data.Shape);
        Graph.Initializer.Add(t);
        External.Add((t, data));
        return name;
    }

    public string Floats(float[] values, params long[] dims)
        => Constant(DType.F32, dims, values.SelectMany(BitConverter.GetBytes).ToArray());
    public string Ints(long[] values, params long[] dims) => Constant(DType.I64, dims, values.SelectMany(BitConverter.GetBytes).ToArray());
    public string Scalar(float v) => Floats([v]);
    public string IntsVector(params long[] values) => Ints(values, values.Length);

    private string Constant(DType dtype, long[] dims, byte[] raw)
    {
        string key = $"{dtype}:{string.Join(",", dims)}:{Convert.ToBase64String(raw)}";
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var t = new TensorProto { Name = $"const_{_constants.Count}", DataType = OnnxType(dtype), RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        Graph.Initializer.Add(t);
        return _constants[key] = t.Name;
    }

    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, 1, attributes)[0];

    public string[] Node(string op, string[] inputs, int outputs, params AttributeProto[] attributes) =>
        Node("", op, inputs, outputs, attributes);

    /// <summary>A node of an operator set other than ONNX's own (<see cref="Microsoft"/>).</summary>
    public string[] Node(string domain, string op, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op}_{_counter}", Domain = domain };
        n.Input.AddRange(inputs);
        var outs = Enumerable.Range(0, outputs).Select(i => $"{op.ToLowerInvariant()}_{_counter}{(outputs > 1 ? $"_{i}" : "")}").ToArray();
        _counter++;
        n.Output.AddRange(outs);
        n.Attribute.AddRange(attributes);
        Graph.Node.Add(n);
        return outs;
    }

    /// <summary>Renames a node output to a fixed graph-output name.</summary>
    public void Rename(string from, string to)
    {
        foreach (var n in Graph.Node)
            for (int i = 0; i < n.Output.Count; i++)
                if (n.Output[i] == from) n.Output[i] = to;
    }

    /// <summary>Cast's "to" attribute, by the target's dtype.</summary>
    public static AttributeProto CastTo(DType d) => Int("to", OnnxType(d));

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto Float(string name, float v)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto String(string name, string v)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    public static AttributeProto IntList(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }
}
