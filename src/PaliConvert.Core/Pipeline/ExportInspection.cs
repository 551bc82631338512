using System.Text;
using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.Models;

namespace PaliConvert.Pipeline;

/// <summary>One graph of an export: its file, size on disk (with its data), weights, and the source it records.</summary>
public sealed record ExportGraph(string File, string Variant, long Bytes, int Weights, string Fingerprint, string Source);

/// <summary>
/// What an ONNX export holds, for inspect: a model.onnx or a split hub folder's variants, each graph's size and
/// recorded source, the facts it states, and whether its variants share one source.
/// </summary>
public sealed record ExportInspection(string Path, string Layout, List<ExportGraph> Graphs, Dictionary<string, string> Facts)
{
    public bool OneSource => Graphs.Select(g => g.Fingerprint).Distinct().Count() <= 1;

    public static bool Applies(string path) =>
        path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && File.Exists(path) || OnnxLayout.IsSplitFolder(path);

    public static ExportInspection Of(string path)
    {
        bool split = Directory.Exists(path);
        var files = split
            ? OnnxLayout.SplitDTypes(path).SelectMany(d => new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder }
                .Select(g => (file: System.IO.Path.Combine(path, OnnxLayout.SplitFile(g, d)), dtype: d.Name()))).ToList()
            : [(file: path, dtype: "")];
        var graphs = new List<ExportGraph>();
        var facts = new Dictionary<string, string>();
        foreach (var (file, dtype) in files)
        {
            using var ck = OnnxCheckpoint.Open(file);
            long bytes = new FileInfo(file).Length + ck.Tensors.Select(t => t.Data.File.Path).Distinct().Sum(f => new FileInfo(f).Length);
            graphs.Add(new ExportGraph(System.IO.Path.GetRelativePath(split ? path : System.IO.Path.GetDirectoryName(file)!, file),
                dtype.Length > 0 ? dtype : DTypeOf(ck), bytes, ck.Tensors.Count,
                ck.Metadata.GetValueOrDefault(ModelFacts.SourceFingerprint, "(not recorded)"),
                ck.Metadata.GetValueOrDefault(ModelFacts.SourceName, "(not recorded)")));
            if (facts.Count == 0) foreach (var (k, v) in ModelFacts.FromMetadata(ck.Metadata) ?? []) facts[k] = v;
        }
        return new ExportInspection(path, split ? "split hub folder" : "single graph", graphs, facts);
    }

    private static string DTypeOf(OnnxCheckpoint ck) =>
        ck.BlockSizes.Count > 0 ? "q4" : ck.Tensors.Any(t => t.Name.EndsWith("_quantized", StringComparison.Ordinal)) ? "q8"
            : ck.Tensors.Any(t => t.DType == Tensors.DType.F16) ? "fp16" : "fp32";

    private static string Source(ExportGraph g) =>
        g.Fingerprint.StartsWith('(') ? "source not recorded" : $"source {g.Source} ({g.Fingerprint})";

    public string ToText()
    {
        var s = new StringBuilder($"{Path}: ONNX export, {Layout}\n");
        foreach (var g in Graphs.GroupBy(g => g.Variant))
            s.Append($"  variant {g.Key}: {g.Sum(x => x.Bytes):N0} bytes in {g.Count()} graph(s), {g.Sum(x => x.Weights)} weights, " +
                $"{Source(g.First())}\n");
        foreach (var g in Graphs) s.Append($"    {g.File}: {g.Bytes:N0} bytes, {g.Weights} weights\n");
        s.Append(OneSource ? "one source for every graph\n" : "WARNING: the graphs come from different weights\n");
        s.Append(Facts.Count == 0 ? "facts: none stated (not exported by paliconvert)\n" : "facts:\n");
        foreach (var (k, v) in Facts) s.Append($"  {k} {v}\n");
        return s.ToString();
    }
}
