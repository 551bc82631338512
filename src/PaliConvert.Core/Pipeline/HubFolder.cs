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
    public static bool AddsVariant(string folder, PaliGemmaArch arch, OnnxDType dtype, bool force)
    {
        var present = OnnxLayout.SplitDTypes(folder);
        if (present.Count == 0 || !File.Exists(Path.Combine(folder, HfConfigFile.FileName))) return false;
        var there = HfConfigFile.Read(Path.Combine(folder, HfConfigFile.FileName)).Arch;
        var differ = ModelFacts.Compare(arch.Facts(), there.Facts()).Where(f => !f.Equal).ToList();
        if (differ.Count > 0)
        {
            if (force) return false;
            var f = differ[0];
            throw new OutputExistsException(Path.GetFullPath(folder), $"{Path.GetFullPath(folder)} holds another model's export " +
                $"({f.Fact}: {f.Target} there, " +
                $"{f.Source} here)");
        }
        if (present.Contains(dtype) && !force)
            throw new OutputExistsException(Path.GetFullPath(folder), $"{Path.GetFullPath(folder)} already holds {dtype.Name()} graphs");
        return true;
    }

    /// <summary>What a new version of the folder keeps: the other dtypes' graphs and any file this export does not write.</summary>
    public static bool Kept(string relativePath) => relativePath is not (HfConfigFile.FileName or GenerationConfig);

    public const string GenerationConfig = "generation_config.json";

    /// <summary>config.json with transformers.js_config naming every graph in onnx/ whose weights are external data.</summary>
    public static void WriteConfig(AtomicOutput output, PaliGemmaArch arch, Dictionary<string, TensorView> views)
    {
        long rows = views[HfNames.Embedding].OutputShape[0];
        var config = JsonNode.Parse(HfConfigWriter.Build(arch, rows, "float32"))!.AsObject();
        var present = OnnxLayout.SplitDTypes(output.TempPath);
        var external = new JsonObject();
        foreach (var d in present)
            foreach (var g in new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder })
                external[Path.GetFileName(OnnxLayout.SplitFile(g, d))] = 1;
        config["transformers.js_config"] = new JsonObject { ["dtype"] = present[0].Name(), ["use_external_data_format"] = external };
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(output.Inside(HfConfigFile.FileName), config.ToJsonString(indented) + "\n");
        File.WriteAllText(output.Inside(GenerationConfig), HfConfigWriter.GenerationConfig);
    }
}
