using System.Text.Json.Nodes;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Tests;

/// <summary>Writes a modified copy of a golden Hugging Face folder: config.json edited as JSON, tensors' values changed.</summary>
public static class HfCopy
{
    public static string Write(
        string goldenFolder,
        string target,
        Action<JsonObject>? config = null,
        Func<TensorInfo, float[]?>? values = null
    )
    {
        Directory.CreateDirectory(target);
        using var src = KeySpelling.OpenHf(TestPaths.Golden(goldenFolder));
        using (var fs = File.Create(Path.Combine(target, "model.safetensors")))
        {
            fs.Write(SafetensorsFile.BuildHeader(src.Tensors.Select(t => (t.Name, t.DType, t.Shape)), null));
            foreach (var t in src.Tensors)
            {
                if (values?.Invoke(t) is { } v)
                {
                    Assert.Equal(DType.F32, t.DType);
                    fs.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
                }
                else
                    fs.Write(t.Data.Span(0, (int)t.ByteLength));
            }
        }
        var json = JsonNode.Parse(File.ReadAllText(TestPaths.Golden($"{goldenFolder}/config.json")))!.AsObject();
        config?.Invoke(json);
        File.WriteAllText(Path.Combine(target, "config.json"), json.ToJsonString());
        return target;
    }

    /// <summary>A tensor's values as float32.</summary>
    public static float[] Values(TensorInfo t)
    {
        var v = new float[t.Elements];
        t.ReadF32(0, v);
        return v;
    }

    /// <summary>Sets a value at a dotted path ("text_config.rope_parameters.rope_theta"); null removes the key.</summary>
    public static void Set(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var o = root;
        foreach (var p in parts[..^1])
            o = o[p]!.AsObject();
        if (value == null)
            o.Remove(parts[^1]);
        else
            o[parts[^1]] = value;
    }
}
