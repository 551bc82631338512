namespace PaliConvert.Models;

/// <summary>A model description's facts as key/value pairs, written into exported files and compared by verify.</summary>
public static class ModelFacts
{
    private const string Prefix = "paliconvert.";

    /// <summary>The metadata keys (ONNX metadata_props, safetensors __metadata__) naming the source an output was made from.</summary>
    public const string SourceFingerprint = Prefix + "source.fingerprint", SourceName = Prefix + "source.file";

    /// <summary>The source as an .npz's archive comment records it: "key=value" lines.</summary>
    public static string SourceComment(string fingerprint, string path) =>
        string.Join("\n", Source(fingerprint, path).Select(kv => $"{kv.key}={kv.value}"));

    /// <summary>The entries recording the source: its fingerprint and its file or folder name.</summary>
    public static IEnumerable<(string key, string value)> Source(string fingerprint, string path) =>
        [(SourceFingerprint, fingerprint), (SourceName, Path.GetFileName(path.TrimEnd('/', '\\')))];

    /// <summary>The facts as ONNX metadata_props entries.</summary>
    public static IEnumerable<(string key, string value)> Metadata(PaliGemmaArch a) =>
        a.Facts().Select(f => (Prefix + f.key, f.value)).Append((Prefix + "facts_source", a.FactsSource));

    /// <summary>The facts back from metadata_props, or null when the file states none (not exported by paliconvert).</summary>
    public static IReadOnlyList<(string key, string value)>? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var facts = metadata.Where(p => p.Key.StartsWith(Prefix, StringComparison.Ordinal) && p.Key != Prefix + "facts_source"
                && !p.Key.StartsWith(Prefix + "source.", StringComparison.Ordinal))
            .Select(p => (p.Key[Prefix.Length..], p.Value)).ToList();
        return facts.Count == 0 ? null : facts;
    }

    /// <summary>Facts whose values differ, and facts one side states and the other does not.</summary>
    public static List<FactDifference> Compare(IReadOnlyList<(string key, string value)> source,
        IReadOnlyList<(string key, string value)> target)
    {
        var t = target.ToDictionary(f => f.key, f => f.value);
        var s = source.ToDictionary(f => f.key, f => f.value);
        return source.Select(f => new FactDifference(f.key, f.value, t.GetValueOrDefault(f.key, "(not stated)")))
            .Concat(target.Where(f => !s.ContainsKey(f.key)).Select(f => new FactDifference(f.key, "(not stated)", f.value)))
            .ToList();
    }
}
