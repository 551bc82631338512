using Google.Protobuf;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.IO;
using PaliConvert.Mapping;

namespace PaliConvert.Formats.Onnx;

/// <summary>
/// Writes a model file and its external data file in one folder: each weight 4096-aligned (ONNX Runtime can map it),
/// its location relative to the model file. Weights stream from their views; nothing is held whole.
/// </summary>
public static class OnnxWriter
{
    public const int Alignment = 4096;
    public const long IrVersion = 10, Opset = 23;

    public static ModelProto Model(GraphBuilder g, string doc) => new()
    {
        IrVersion = IrVersion,
        ProducerName = "paliconvert",
        ProducerVersion = typeof(OnnxWriter).Assembly.GetName().Version?.ToString() ?? "",
        DocString = doc,
        Graph = g.Graph,
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
    };

    public static void Write(string folder, string modelName, ModelProto model, GraphBuilder g, IProgress<(string, double)>? progress = null, string? dataName = null)
    {
        dataName ??= modelName + ".data";
        var gather = new ViewGather();
        long total = g.External.Sum(e => Tensors.Shape.Bytes(e.view.OutputShape, e.dtype)), done = 0;
        using (var file = new FileStream(Path.Combine(folder, dataName), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
        using (var data = new WriteBehindStream(file))
        {
            foreach (var (proto, view, dtype) in g.External)
            {
                long pad = (Alignment - data.Position % Alignment) % Alignment;
                data.Write(new byte[pad]);
                long offset = data.Position;
                gather.Write(view, dtype, data);
                long length = data.Position - offset;
                proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                proto.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
                done += length;
                progress?.Report((proto.Name, (double)done / total));
            }
            data.Flush();
            file.Flush(flushToDisk: true);
        }
        using var fs = File.Create(Path.Combine(folder, modelName));
        model.WriteTo(fs);
    }
}
