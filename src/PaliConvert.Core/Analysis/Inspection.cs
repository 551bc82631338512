using System.Text;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Analysis;

/// <summary>One row of the tensor tree. Layers stacked on axis 0, or spread over indexed names, show as one row.</summary>
public sealed record TensorRow(string Name, string DType, long[] Shape, int Layers, string LayerAxis, long Parameters);

public sealed record ModuleCount(string Module, long Parameters, int Tensors);

public sealed record Inspection(
    string Path, string Format, string? KeySpelling, bool? ParamsPrefix, string[] DTypes, long Parameters, long Bytes,
    int Family, string Size, int ImageSize, int VisionLayers, int DecoderLayers, string Layout, string Summary,
    PaliGemmaArch Architecture, ModuleCount[] Modules, TensorRow[] Tensors)
{
    public static Inspection Of(Checkpoint ck, IO.RunScope? scope = null)
    {
        var arch = ArchDetector.Detect(ck, scope: scope);
        var rows = new List<TensorRow>();
        foreach (var t in ck.Tensors.Where(t => LayerNames.IsStacked(t.Name) && ck.Format == "npz"))
            rows.Add(new TensorRow(t.Name, t.DType.Label(), t.Shape[1..], (int)t.Shape[0], "axis 0 (stacked)", t.Elements));
        var rest = ck.Tensors.Where(t => !(LayerNames.IsStacked(t.Name) && ck.Format == "npz"));
        foreach (var g in rest.GroupBy(t => LayerNames.Split(t.Name).template))
        {
            var first = g.First();
            bool indexed = LayerNames.Split(first.Name).layer >= 0;
            var dtypes = string.Join("/", g.Select(t => t.DType.Label()).Distinct());
            bool sameShape = g.All(t => Shape.Equal(t.Shape, first.Shape));
            rows.Add(new TensorRow(g.Key, dtypes, sameShape ? first.Shape : [], indexed ? g.Count() : 0,
                indexed ? "in the name" + (sameShape ? "" : " (shapes differ)") : "", g.Sum(t => t.Elements)));
        }
        rows.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var modules = ck.Tensors.GroupBy(t => LayerNames.ModuleOf(t.Name))
            .Select(g => new ModuleCount(g.Key, g.Sum(t => t.Elements), g.Count()))
            .OrderBy(m => m.Module, StringComparer.Ordinal).ToArray();
        return new Inspection(ck.Path, ck.Format, ck is SafetensorsCheckpoint s ? Models.KeySpelling.Of(s) : null,
            (ck as NpzCheckpoint)?.HadParamsPrefix,
            ck.DTypes.Select(d => d.Label()).ToArray(), ck.Tensors.Sum(t => t.Elements), ck.Tensors.Sum(t => t.ByteLength),
            (int)arch.Family, arch.Size, arch.Vision.ImageSize, arch.Vision.Layers, arch.Decoder.Layers, arch.Layout.Label(),
            arch.Summary(),
            arch, modules, rows.ToArray());
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        string spelling = KeySpelling != null ? $", {KeySpelling} key spelling" : "";
        sb.AppendLine($"{Path}  ({Format}{spelling}{(ParamsPrefix == true ? ", names prefixed 'params/'" : "")})");
        sb.AppendLine($"model:      PaliGemma {Family}, size {Size}, {ImageSize} px, layout: {Layout}");
        sb.AppendLine($"layers:     vision {VisionLayers}, decoder {DecoderLayers}");
        sb.AppendLine($"dtypes:     {string.Join(", ", DTypes)}");
        sb.AppendLine($"parameters: {Parameters:N0} ({Human(Parameters)}) in {Bytes:N0} bytes");
        sb.AppendLine();
        sb.AppendLine(Summary);
        if (Architecture.Assumed.Count > 0)
            sb.AppendLine($"assumed (the file cannot show them; big_vision's defaults): {string.Join(", ", Architecture.Assumed)}");
        sb.AppendLine();
        sb.AppendLine("parameters by module:");
        foreach (var m in Modules) sb.AppendLine($"  {m.Module,-22} {m.Parameters,16:N0}  {Human(m.Parameters),7}  ({m.Tensors} tensors)");
        sb.AppendLine();
        sb.AppendLine("tensors (layer count x one layer's shape):");
        int w = Tensors.Max(r => r.Name.Length);
        foreach (var r in Tensors)
        {
            string layers = r.Layers > 0 ? $"{r.Layers} x " : "";
            string note = r.LayerAxis.Length > 0 ? $"  [layers {r.LayerAxis}]" : "";
            sb.AppendLine($"  {r.Name.PadRight(w)}  {r.DType,-5} {layers}{Shape.Format(r.Shape)}{note}");
        }
        return sb.ToString();
    }

    public static string Human(long n) => n >= 1_000_000_000 ? $"{n / 1e9:0.00}B" : n >= 1_000_000 ? $"{n / 1e6:0.0}M" : n >= 1000
        ? $"{n / 1e3:0.0}K" : n.ToString();
}
