using PaliConvert.Formats.Onnx.Proto;

namespace PaliConvert.Formats.Onnx;

public sealed record OnnxCheck(string Path, int Nodes, int Initializers, long ExternalBytes, List<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// A structural check of a written model, independent of ONNX Runtime: versions it accepts, every node input defined
/// before use, initializer sizes matching their dims, external data relative, in bounds, aligned and of the right size;
/// every node's operator set imported, and ONNX Runtime's contrib MatMulNBits consistent with its weights.
/// </summary>
public static partial class OnnxChecker
{
    public const long MaxIr = 13, MaxOpset = 26;

    public static OnnxCheck Check(string modelPath)
    {
        var problems = new List<string>();
        ModelProto model;
        using (var fs = Tensors.RegularFile.OpenRead(modelPath))
        {
            try { model = ModelProto.Parser.ParseFrom(fs); }
            catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new BadInputException(modelPath, $"{modelPath}: not an ONNX " +
                $"model: " +
                $"{e.Message}"); }
        }
        if (model.IrVersion < 3 || model.IrVersion > MaxIr)
            problems.Add($"IR version {model.IrVersion} is outside 3..{MaxIr} (ONNX Runtime 1.31)");
        foreach (var op in model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx"))
            if (op.Version > MaxOpset) problems.Add($"opset {op.Version} is above {MaxOpset} (ONNX Runtime 1.31)");
        var g = model.Graph ?? throw new BadInputException(modelPath, $"{modelPath}: the model has no graph");

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
        CheckDomains(model, problems);
        return new OnnxCheck(modelPath, g.Node.Count, g.Initializer.Count, external, problems);
    }

    private static long CheckInitializer(TensorProto t, string folder, List<string> problems)
    {
        int size = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
            TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Double => 8,
            TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 => 2,
            TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Bool => 1,
            _ => 0,
        };
        if (size == 0) { problems.Add($"initializer '{t.Name}' has unsupported data type {t.DataType}"); return 0; }
        long expected = size;
        foreach (var d in t.Dims)
        {
            if (d < 0) { problems.Add($"initializer '{t.Name}' has a negative dimension"); return 0; }
            if (d > 0 && expected > long.MaxValue / d)
            {
                problems.Add($"initializer '{t.Name}': dims {string.Join("x", t.Dims)} overflow");
                return 0;
            }
            expected *= d;
        }
        if (t.DataLocation != TensorProto.Types.DataLocation.External)
        {
            if (t.RawData.Length != expected)
                problems.Add($"initializer '{t.Name}' holds {t.RawData.Length} bytes, its dims need {expected}");
            return 0;
        }
        var kv = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!kv.TryGetValue("location", out var location)
            || location.Length == 0) { problems.Add($"initializer '{t.Name}' is external but names no location"); return 0; }
        if (location.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0 || location.Contains('\0'))
        {
            problems.Add($"initializer '{t.Name}': location has characters no file name may hold");
            return 0;
        }
        if (System.IO.Path.IsPathRooted(location) || location.Split('/', '\\').Contains(".."))
        {
            problems.Add($"initializer '{t.Name}': location '{location}' must be relative to the model's folder, without '..'");
            return 0;
        }
        var file = new FileInfo(System.IO.Path.Combine(folder, location));
        if (!file.Exists) { problems.Add($"initializer '{t.Name}': external file '{location}' is missing"); return 0; }
        if (!Field(kv, "offset", 0, t.Name, problems, out long offset)) return 0;
        if (!Field(kv, "length", file.Length - offset, t.Name, problems, out long length)) return 0;
        if (offset % OnnxWriter.Alignment != 0)
            problems.Add($"initializer '{t.Name}': offset {offset} is not aligned to {OnnxWriter.Alignment}");
        if (length != expected) problems.Add($"initializer '{t.Name}': external length {length}, its dims need {expected}");
        if (offset > file.Length || length > file.Length - offset)
            problems.Add($"initializer '{t.Name}': bytes {offset}..{offset + length} lie outside '{location}' ({file.Length} bytes)");
        return length;
    }

    /// <summary>An external-data number: absent gives the fallback; present, it must be a non-negative integer.</summary>
    private static bool Field(Dictionary<string, string> kv, string key, long fallback, string tensor, List<string> problems,
        out long value)
    {
        value = fallback;
        if (!kv.TryGetValue(key, out var text)) return true;
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value))
            return true;
        problems.Add($"initializer '{tensor}': external {key} '{(text.Length > 40 ? text[..40] + "..." : text)}' is not a byte count");
        return false;
    }
}
