using Google.Protobuf;
using PaliConvert.Formats.Onnx.Proto;
using PaliConvert.IO;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Onnx;

/// <summary>
/// Writes a model file and its external data file in one folder: each weight 4096-aligned (ONNX Runtime can map it),
/// its location relative to the model file. Weights stream from their views; nothing is held whole.
/// </summary>
public static class OnnxWriter
{
    public const int Alignment = 4096;
    public const long IrVersion = 10, Opset = 23, MicrosoftOpset = 1;

    public static ModelProto Model(GraphBuilder g, string doc, IEnumerable<(string key, string value)>? metadata = null)
    {
        var m = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "paliconvert",
            ProducerVersion = typeof(OnnxWriter).Assembly.GetName().Version?.ToString() ?? "",
            DocString = doc,
            Graph = g.Graph,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
        };
        if (g.Graph.Node.Any(n => n.Domain == GraphBuilder.Microsoft))
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.Microsoft, Version = MicrosoftOpset });
        foreach (var (key, value) in metadata ?? []) m.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return m;
    }

    /// <summary>The metadata_props of a model file (weights are external, so the file is small).</summary>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        ModelProto m;
        try { m = ModelProto.Parser.ParseFrom(RegularFile.ReadAllBytes(path, int.MaxValue)); }
        catch (InvalidProtocolBufferException e) { throw new BadInputException(path, $"{path}: not an ONNX model: {e.Message}"); }
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in m.MetadataProps) d[p.Key] = p.Value;
        return d;
    }

    public static void Write(string folder, string modelName, ModelProto model, GraphBuilder g,
        IProgress<(string, double)>? progress = null, string? dataName = null)
    {
        dataName ??= modelName + ".data";
        using (var streamer = new WeightStreamer(g.External.Select(e => (e.proto.Name, e.data)).ToList(), progress))
        using (var file = DirectFile.CreateNew(Path.Combine(folder, dataName), out bool direct))
        using (var data = new WriteBehindStream(file, direct: direct))
        {
            foreach (var (proto, _) in g.External)
            {
                long pad = (Alignment - data.Position % Alignment) % Alignment;
                data.Write(new byte[pad]);
                long offset = data.Position;
                long length = streamer.WriteNext(data).bytes;
                proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                proto.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
            }
            data.Flush();
            file.Flush(flushToDisk: true);
        }
        using var fs = File.Create(Path.Combine(folder, modelName));
        model.WriteTo(fs);
    }
}
