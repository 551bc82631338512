using PaliConvert.Formats.Onnx.Proto;

namespace PaliConvert.Formats.Onnx;

public sealed record OnnxCheck(string Path, int Nodes, int Initializers, long ExternalBytes, List<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// A structural check of a written model, independent of ONNX Runtime: versions it accepts, every node input defined
/// before use, initializer sizes matching their dims, external data relative, in bounds, aligned and of the right size.
/// </summary>
public static class OnnxChecker
{
    public const long MaxIr = 13, MaxOpset = 26;

    public static OnnxCheck Check(string modelPath)
    {
        var problems = new List<string>();
        ModelProto model;
        using (var fs = File.OpenRead(modelPath))
        {
            try { model = ModelProto.Parser.ParseFrom(fs); }
            catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new InvalidDataException($"{modelPath}: not an ONNX model: " +
                $"{e.Message}"); }
        }
        if (model.IrVersion < 3 || model.IrVersion > MaxIr)
            problems.Add($"IR version {model.IrVersion} is outside 3..{MaxIr} (ONNX Runtime 1.31)");
        foreach (var op in model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx"))
            if (op.Version > MaxOpset) problems.Add($"opset {op.Version} is above {MaxOpset} (ONNX Runtime 1.31)");
        var g = model.Graph ?? throw new InvalidDataException($"{modelPath}: the model has no graph");

        var defined = new HashSet<string>(g.Input.Select(i => i.Name));
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelPath))!;
        long external = 0;
        foreach (var t in g.Initializer)
        {
            if (!defined.Add(t.Name)) problems.Add($"initializer '{t.Name}' is defined twice");
            external += CheckInitializer(t, folder, problems);
        }
        foreach (var n in g.Node)
        {
            foreach (var i in n.Input.Where(i => i.Length > 0 && !defined.Contains(i)))
                problems.Add($"node '{n.Name}' ({n.OpType}) reads '{i}', which nothing defines before it");
            foreach (var o in n.Output.Where(o => !defined.Add(o)))
                problems.Add($"node '{n.Name}' writes '{o}', which is already defined");
        }
        foreach (var o in g.Output.Where(o => !defined.Contains(o.Name))) problems.Add($"graph output '{o.Name}' is produced by no node");
        return new OnnxCheck(modelPath, g.Node.Count, g.Initializer.Count, external, problems);
    }

    private static long CheckInitializer(TensorProto t, string folder, List<string> problems)
    {
        int size = t.DataType switch { 1 or 6 => 4, 7 or 11 => 8, 10 or 16 => 2, 2 or 3 or 9 => 1, _ => 0 };
        if (size == 0) { problems.Add($"initializer '{t.Name}' has unsupported data type {t.DataType}"); return 0; }
        long elements = 1;
        foreach (var d in t.Dims)
        {
            if (d < 0) { problems.Add($"initializer '{t.Name}' has a negative dimension"); return 0; }
            elements *= d;
        }
        long expected = elements * size;
        if (t.DataLocation != TensorProto.Types.DataLocation.External)
        {
            if (t.RawData.Length != expected)
                problems.Add($"initializer '{t.Name}' holds {t.RawData.Length} bytes, its dims need {expected}");
            return 0;
        }
        var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!kv.TryGetValue("location", out var location)
            || location.Length == 0) { problems.Add($"initializer '{t.Name}' is external but names no location"); return 0; }
        if (System.IO.Path.IsPathRooted(location) || location.Split('/', '\\').Contains(".."))
        {
            problems.Add($"initializer '{t.Name}': location '{location}' must be relative to the model's folder, without '..'");
            return 0;
        }
        var file = new FileInfo(System.IO.Path.Combine(folder, location));
        if (!file.Exists) { problems.Add($"initializer '{t.Name}': external file '{location}' is missing"); return 0; }
        long offset = kv.TryGetValue("offset", out var o) && long.TryParse(o, out var ov) ? ov : 0;
        long length = kv.TryGetValue("length", out var l) && long.TryParse(l, out var lv) ? lv : file.Length - offset;
        if (offset % OnnxWriter.Alignment != 0)
            problems.Add($"initializer '{t.Name}': offset {offset} is not aligned to {OnnxWriter.Alignment}");
        if (length != expected) problems.Add($"initializer '{t.Name}': external length {length}, its dims need {expected}");
        if (offset < 0 || offset + length > file.Length)
            problems.Add($"initializer '{t.Name}': bytes {offset}..{offset + length} lie outside '{location}' ({file.Length} bytes)");
        return length;
    }
}
