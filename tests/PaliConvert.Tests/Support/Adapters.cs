using System.Text.Json;
using System.Text.Json.Nodes;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Tensors;

namespace PaliConvert.Tests;

/// <summary>PEFT adapters for the golden models, written by the numpy oracle, and hostile copies of them.</summary>
public static class AdapterFiles
{
    /// <summary>The oracle's cases: a config, the key spelling and the dtype the factors are saved in.</summary>
    public static readonly Dictionary<string, string> Specs = new()
    {
        ["rslora-patterns"] = """
            {"config": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
              "down_proj"], "use_rslora": true, "rank_pattern": {"v_proj": 2}, "alpha_pattern": {"down_proj": 3},
              "layers_to_transform": [1]}, "spelling": "hub", "seed": 1}
            """,
        ["regex-in-memory"] = """
            {"config": {"r": 3, "lora_alpha": 6, "target_modules": ".*(language_model.*\\.(q_proj|v_proj)|vision_tower.*\\.fc1)"},
             "spelling": "in-memory", "seed": 2}
            """,
        ["dora-all-linear"] = """
            {"config": {"r": 2, "lora_alpha": 4, "target_modules": "all-linear", "use_dora": true}, "spelling": "hub", "seed": 3}
            """,
        ["embedding-saved-bf16"] = """
            {"config": {"r": 2, "lora_alpha": 2, "target_modules": ["embed_tokens", "fc2"], "modules_to_save": ["multi_modal_projector"]},
             "spelling": "in-memory", "seed": 4, "dtype": "BF16"}
            """,
    };

    /// <summary>The oracle's adapter of case <paramref name="spec"/> for a golden model's HF folder (or another folder).</summary>
    public static string Make(string baseFolder, string spec, string target)
    {
        string specFile = target + ".spec.json";
        File.WriteAllText(specFile, Specs[spec]);
        TestPaths.Python("lora_oracle.py", "make", baseFolder, target, specFile);
        return target;
    }

    /// <summary>The oracle's merge, as an HF folder of float32 tensors.</summary>
    public static string Merge(string baseFolder, string adapter, string target)
    {
        TestPaths.Python("lora_oracle.py", "merge", baseFolder, adapter, target);
        return target;
    }

    /// <summary>
    /// A copy of an adapter with its config edited and its tensors replaced, dropped or added (values as float32).
    /// </summary>
    public static string Copy(string adapter, string target, Action<JsonObject>? config = null,
        Func<TensorInfo, (long[] shape, float[] values)?>? change = null, IEnumerable<string>? drop = null,
        IEnumerable<(string name, long[] shape, float[] values)>? add = null)
    {
        Directory.CreateDirectory(target);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!.AsObject();
        config?.Invoke(cfg);
        File.WriteAllText(Path.Combine(target, "adapter_config.json"), cfg.ToJsonString());
        using var src = SafetensorsCheckpoint.Open(Path.Combine(adapter, "adapter_model.safetensors"));
        var dropped = (drop ?? []).ToHashSet();
        var tensors = new List<(string name, long[] shape, float[] values)>();
        foreach (var t in src.Tensors.Where(t => !dropped.Contains(t.Name)))
        {
            var v = new float[t.Elements];
            t.ReadF32(0, v);
            tensors.Add(change?.Invoke(t) is { } c ? (t.Name, c.shape, c.values) : (t.Name, t.Shape, v));
        }
        tensors.AddRange(add ?? []);
        using var fs = File.Create(Path.Combine(target, "adapter_model.safetensors"));
        fs.Write(SafetensorsFile.BuildHeader(tensors.Select(t => (t.name, DType.F32, t.shape)), null));
        foreach (var t in tensors) fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.values.AsSpan()));
        return target;
    }

    /// <summary>Every tensor of two HF folders, by name, as float32.</summary>
    public static Dictionary<string, float[]> Values(string folder)
    {
        using var ck = SafetensorsCheckpoint.Open(folder);
        return ck.Tensors.ToDictionary(t => t.Name, HfCopy.Values);
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
