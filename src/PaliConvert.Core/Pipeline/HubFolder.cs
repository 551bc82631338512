using System.Text.Json.Nodes;
using PaliConvert.Export;
using PaliConvert.IO;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

/// <summary>
/// The split layout's hub folder as transformers.js's from_pretrained reads it: config.json (with
/// transformers.js_config), generation_config.json, and onnx/ holding one set of graphs per dtype, by file suffix.
/// </summary>
public static class HubFolder
{
    /// <summary>
    /// Whether an export adds its dtype to an existing hub folder: the folder holds the split layout of the same model
    /// (every fact of config.json equal). Replacing graphs of a dtype it already holds needs <paramref name="force"/>.
    /// </summary>
    public static bool AddsVariant(string folder, PaliGemmaArch arch, OnnxDType dtype, bool force, string fingerprint,
        string source, RunScope scope)
    {
        var present = OnnxLayout.SplitDTypes(folder);
        if (present.Count == 0 || !File.Exists(Path.Combine(folder, HfConfigFile.FileName))) return false;
        string full = Path.GetFullPath(folder);
        var there = HfConfigFile.Read(Path.Combine(folder, HfConfigFile.FileName)).Arch;
        var differ = ModelFacts.Compare(arch.Facts(), there.Facts()).Where(f => !f.Equal).ToList();
        var others = Sources(folder, present).Where(s => s.fingerprint != fingerprint).ToList();
        string? why = differ.Count > 0 ? $"another model's export ({differ[0].Fact}: {differ[0].Target} there, {differ[0].Source} here)"
            : others.Count > 0 ? $"an export of other weights: {string.Join("; ", others.Select(o => $"{o.dtype.Name()} from " +
                $"{o.file} ({o.fingerprint})"))}, where {Path.GetFileName(source.TrimEnd('/'))} is {fingerprint}" : null;
        if (why != null)
        {
            if (!force) throw new OutputExistsException(full, $"{full} holds {why}; one folder serves one model's weights");
            scope.Warn(WarningKind.ReplacedVariants, $"{full} held {why}: replacing it removes its " +
                $"{string.Join(", ", present.Select(d => d.Name()))} graphs");
            return false;
        }
        if (present.Contains(dtype) && !force)
            throw new OutputExistsException(Path.GetFullPath(folder), $"{Path.GetFullPath(folder)} already holds {dtype.Name()} graphs");
        return true;
    }

    /// <summary>The source each variant records in its decoder: fingerprint and file ("(not recorded)" for older exports).</summary>
    public static List<(OnnxDType dtype, string fingerprint, string file)> Sources(string folder, IEnumerable<OnnxDType> present) =>
        present.Select(d =>
        {
            var meta = Formats.Onnx.OnnxWriter.ReadMetadata(Path.Combine(folder, OnnxLayout.SplitFile(OnnxLayout.Decoder, d)));
            return (d, meta.GetValueOrDefault(ModelFacts.SourceFingerprint, "(not recorded)"),
                meta.GetValueOrDefault(ModelFacts.SourceName, "an unknown source"));
        }).ToList();

    /// <summary>
    /// Every graph of every variant a hub folder (or one .onnx file) holds, structurally checked, and for a hub folder
    /// a problem when its variants record different sources.
    /// </summary>
    public static (List<Formats.Onnx.OnnxCheck> graphs, List<string> problems) Check(string path)
    {
        if (!Directory.Exists(path)) return ([Formats.Onnx.OnnxChecker.Check(path)], []);
        var present = OnnxLayout.SplitDTypes(path);
        if (present.Count == 0)
            throw new BadInputException(path, $"{path}: is a folder without the split layout's graphs (onnx/vision_encoder*.onnx, " +
                $"embed_tokens*.onnx, decoder_model_merged*.onnx); give a model.onnx file or a hub folder");
        var graphs = present.SelectMany(d => new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder }
            .Select(g => Formats.Onnx.OnnxChecker.Check(Path.Combine(path, OnnxLayout.SplitFile(g, d))))).ToList();
        var sources = Sources(path, present);
        var problems = sources.Select(s => s.fingerprint).Distinct().Count() <= 1 ? new List<string>()
            : [$"its variants come from different weights: {string.Join("; ", sources.Select(s => $"{s.dtype.Name()} from {s.file} " +
                $"({s.fingerprint})"))}"];
        return (graphs, problems);
    }

    /// <summary>What a new version of the folder keeps: the other dtypes' graphs and any file this export does not write.</summary>
    public static bool Kept(string relativePath) => relativePath is not (HfConfigFile.FileName or GenerationConfig);

    public const string GenerationConfig = "generation_config.json";

    /// <summary>
    /// config.json with transformers.js_config naming every graph in onnx/ whose weights are external data. A variant
    /// added to an existing folder (<paramref name="existing"/>) keeps its config.json and generation_config.json as they
    /// are, hand edits included, with only the graphs' list brought up to date.
    /// </summary>
    public static void WriteConfig(AtomicOutput output, PaliGemmaArch arch, Dictionary<string, TensorView> views, string? existing)
    {
        long rows = views[HfNames.Embedding].OutputShape[0];
        string? kept = existing == null ? null : Path.Combine(existing, HfConfigFile.FileName);
        string text = kept != null ? System.Text.Encoding.UTF8.GetString(Formats.JsonText.Checked(kept))
            : HfConfigWriter.Build(arch, rows, "float32");
        var config = JsonNode.Parse(text)!.AsObject();
        var present = OnnxLayout.SplitDTypes(output.TempPath);
        var external = new JsonObject();
        foreach (var d in present)
            foreach (var g in new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder })
                external[Path.GetFileName(OnnxLayout.SplitFile(g, d))] = 1;
        var js = config["transformers.js_config"] as JsonObject ?? new JsonObject { ["dtype"] = present[0].Name() };
        js["use_external_data_format"] = external;
        config["transformers.js_config"] = js;
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(output.Inside(HfConfigFile.FileName), config.ToJsonString(indented) + "\n");
        string generation = existing != null && File.Exists(Path.Combine(existing, GenerationConfig))
            ? System.Text.Encoding.UTF8.GetString(Formats.JsonText.Checked(Path.Combine(existing, GenerationConfig)))
            : HfConfigWriter.GenerationConfig;
        File.WriteAllText(output.Inside(GenerationConfig), generation);
    }
}
