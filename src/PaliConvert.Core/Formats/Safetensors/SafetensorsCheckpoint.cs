using System.Text.Json;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Safetensors;

/// <summary>A Hugging Face checkpoint: one .safetensors file, or a folder with model.safetensors or a sharded index.</summary>
public sealed class SafetensorsCheckpoint : Checkpoint
{
    public const string IndexName = "model.safetensors.index.json", SingleName = "model.safetensors";

    public override string Format => "safetensors";
    /// <summary>Tensors whose names the reader's rename function changed.</summary>
    public int Renamed { get; private set; }
    private readonly Func<string, string> _rename;
    public IReadOnlyList<string> Files { get; private set; } = [];
    private string? _folder;
    public override string? Folder => _folder;

    private SafetensorsCheckpoint(string path, Func<string, string>? rename) : base(path) => _rename = rename ?? (n => n);

    /// <summary>Opens a file or folder; <paramref name="rename"/> presents each stored name under another (a key spelling).</summary>
    public static SafetensorsCheckpoint Open(string path, Func<string, string>? rename = null) =>
        Opened(new SafetensorsCheckpoint(path, rename), c => c.Load());

    private void Load()
    {
        if (File.Exists(Path)) { Files = [Path]; LoadFiles(null); return; }
        if (!Directory.Exists(Path)) throw new BadInputException(Path, $"{Path}: no such file or folder");
        _folder = Path;
        string index = System.IO.Path.Combine(Path, IndexName), single = System.IO.Path.Combine(Path, SingleName);
        if (File.Exists(index)) LoadFiles(ReadIndex(index));
        else if (File.Exists(single)) { Files = [single]; LoadFiles(null); }
        else throw new BadInputException(Path, $"{Path}: neither {IndexName} nor {SingleName} is in this folder");
    }

    /// <summary>weight_map of the index, with every shard name checked to be a plain file name in the folder.</summary>
    private Dictionary<string, string> ReadIndex(string index)
    {
        JsonDocument doc;
        doc = JsonText.Parse(RegularFile.ReadAllBytes(index), index);
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var wm)
            || wm.ValueKind != JsonValueKind.Object)
            throw new BadInputException(index, $"{index}: no weight_map object");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in wm.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw new BadInputException(index, $"{index}: weight_map entry '{p.Name}' is not a file name");
            string file = JsonText.String(p.Value, $"{index}: weight_map['{p.Name}']");
            if (file.Length == 0 || file != System.IO.Path.GetFileName(file) || file is "." or ".." || file.Contains('\\')
                || System.IO.Path.IsPathRooted(file))
                throw new BadInputException(index, $"{index}: weight_map entry '{p.Name}' names '{file}', which is not a plain file name " +
                    $"in " +
                    $"the folder");
            if (!map.TryAdd(p.Name, file)) throw new BadInputException(index, $"{index}: tensor '{p.Name}' is listed twice");
        }
        var shards = map.Values.Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        foreach (var s in shards)
            if (!File.Exists(System.IO.Path.Combine(Path, s)))
                throw new BadInputException(index, $"{index}: shard '{s}' is missing from {Path}");
        Files = shards.Select(s => System.IO.Path.Combine(Path, s)).ToList();
        return map;
    }

    private void LoadFiles(Dictionary<string, string>? index)
    {
        int renamed = 0;
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Files)
        {
            var mapped = Own(new MappedFile(file));
            var (entries, _) = SafetensorsFile.Read(mapped);
            string shard = System.IO.Path.GetFileName(file);
            foreach (var e in entries)
            {
                if (index != null && (!index.TryGetValue(e.Name, out var listed) || listed != shard))
                    throw new BadInputException(file, $"{file}: tensor '{e.Name}' is in this shard but the index " +
                        $"{(listed == null ? "does not list it" : $"places it in '{listed}'")}");
                found.Add(e.Name);
                string key = _rename(e.Name);
                if (key != e.Name) renamed++;
                Add(new TensorInfo(key, e.DType, e.Shape, e.Data), file);
            }
        }
        if (index != null)
        {
            var missing = index.Keys.Where(k => !found.Contains(k)).ToList();
            if (missing.Count > 0)
                throw new BadInputException(System.IO.Path.Combine(Path, IndexName), $"{System.IO.Path.Combine(Path, IndexName)}: tensor " +
                    $"'{missing[0]}' is not in the shard " +
                    $"the index names ('{index[missing[0]]}'){(missing.Count > 1 ? $", nor are {missing.Count - 1} more" : "")}");
        }
        Renamed = renamed;
    }
}
