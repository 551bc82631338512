using PaliConvert.Formats;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

/// <summary>
/// What a converter wrote, for scripts (--json): the output, its format, tensors, bytes, files (shards or graphs), the
/// dtypes, the source fingerprint it records, and for a hub folder the variants it now holds.
/// </summary>
public sealed record WrittenModel(string Output, string Format, int Tensors, long Bytes, int Files, string[] DTypes,
    string? SourceFingerprint, string[] Variants)
{
    /// <summary>Reads the output's headers back (not its weights).</summary>
    public static WrittenModel Of(string output)
    {
        if (ExportInspection.Applies(output))
        {
            var e = ExportInspection.Of(output);
            return new WrittenModel(output, e.Layout, e.Graphs.Sum(g => g.Weights), e.Graphs.Sum(g => g.Bytes), e.Graphs.Count, [],
                e.Graphs.Select(g => g.Fingerprint).FirstOrDefault(), e.Graphs.Select(g => g.Variant).Distinct().Order().ToArray());
        }
        using var ck = CheckpointReader.Open(output);
        string? fingerprint = ck is NpzCheckpoint npz ? Recorded(npz.Comment.Split('\n').Select(l => l.Split('=', 2)))
            : ck is SafetensorsCheckpoint st ? Recorded(st.Files.Take(1).Select(f =>
            {
                using var m = new MappedFile(f);
                return SafetensorsFile.Read(m).metadata.GetValueOrDefault(ModelFacts.SourceFingerprint) is { } v
                    ? new[] { ModelFacts.SourceFingerprint, v } : [];
            })) : null;
        int files = ck is SafetensorsCheckpoint s ? s.Files.Count : 1;
        return new WrittenModel(output, ck.Format, ck.Tensors.Count, ck.Tensors.Sum(t => t.ByteLength), files,
            ck.DTypes.Select(d => d.Label()).ToArray(), fingerprint, []);
    }

    private static string? Recorded(IEnumerable<string[]> pairs) =>
        pairs.FirstOrDefault(p => p.Length == 2 && p[0] == ModelFacts.SourceFingerprint)?[1];
}
