using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Onnx;

/// <summary>
/// An ONNX model's external initializers as tensors over memory-mapped data files (the graph's small inline
/// constants are not weights and are left out), after the structural check has bounded every offset. Also the
/// MatMulNBits block size of each 4-bit weight, by its codes' initializer.
/// </summary>
public sealed class OnnxCheckpoint : Checkpoint
{
    public override string Format => "onnx";
    public IReadOnlyDictionary<string, long> BlockSizes { get; private set; } = new Dictionary<string, long>();
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    private OnnxCheckpoint(string path) : base(path) { }

    public static OnnxCheckpoint Open(string path) => Opened(new OnnxCheckpoint(path), ck => ck.Load());

    private void Load()
    {
        var check = OnnxChecker.Check(Path);
        if (!check.Ok) throw new BadInputException(Path, $"{Path}: fails its structural check: {string.Join("; ", check.Problems)}");
        var model = ModelProto.Parser.ParseFrom(RegularFile.ReadAllBytes(Path, int.MaxValue));
        Metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        var files = new Dictionary<string, MappedFile>(StringComparer.Ordinal);
        foreach (var t in model.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External))
        {
            var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            string location = kv["location"];
            if (!files.TryGetValue(location, out var file))
                files[location] = file = Own(new MappedFile(System.IO.Path.Combine(folder, location)));
            long offset = kv.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
            long length = kv.TryGetValue("length", out var l) ? long.Parse(l) : file.Length - offset;
            Add(new TensorInfo(t.Name, DTypeOf(t), t.Dims.ToArray(), file.Region(offset, length)), Path);
        }
        BlockSizes = model.Graph.Node.Where(n => n.OpType == "MatMulNBits" && n.Input.Count > 1)
            .ToDictionary(n => n.Input[1], n => n.Attribute.FirstOrDefault(a => a.Name == "block_size")?.I ?? 0, StringComparer.Ordinal);
    }

    private DType DTypeOf(TensorProto t) => (TensorProto.Types.DataType)t.DataType switch
    {
        TensorProto.Types.DataType.Float => DType.F32,
        TensorProto.Types.DataType.Float16 => DType.F16,
        TensorProto.Types.DataType.Bfloat16 => DType.BF16,
        TensorProto.Types.DataType.Int8 => DType.I8,
        TensorProto.Types.DataType.Uint8 => DType.U8,
        TensorProto.Types.DataType.Int32 => DType.I32,
        TensorProto.Types.DataType.Int64 => DType.I64,
        _ => throw new BadInputException(Path, $"{Path}: initializer '{t.Name}' has data type {t.DataType}, which no weight uses",
            t.Name),
    };
}
