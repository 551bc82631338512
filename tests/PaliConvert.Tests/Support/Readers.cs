using PaliConvert.Export;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Onnx;
using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Tests;

/// <summary>
/// Every parser entry point as the fuzz harness (bench/fuzz) drives it: a file of that kind is read to the end. The
/// index and ONNX targets need their neighbours (shards, external data). bench/fuzz compiles this file in, so it uses
/// PaliConvert.Core alone.
/// </summary>
public static partial class Readers
{
    public static readonly string[] Targets = ["npz", "inputs", "safetensors", "index", "config", "onnx", "tokenizer", "adapter"];

    public static string FileName(string target) => target switch
    {
        "index" => "model.safetensors.index.json",
        "config" => "config.json",
        "onnx" => OnnxLayout.ModelFile,
        "safetensors" => "model.safetensors",
        "tokenizer" => "tokenizer.model",
        "adapter" => "adapter_config.json",
        _ => "input.npz",
    };

    public static void Read(string target, string file)
    {
        string folder = Path.GetDirectoryName(file)!;
        switch (target)
        {
            case "npz":
                using (var ck = NpzCheckpoint.Open(file)) { ReadAll(ck); ArchDetector.Detect(ck); }
                break;
            case "inputs":
                InputsFile.Load(file, "mask_ar_prefixlm");
                break;
            case "safetensors":
                using (var ck = KeySpelling.OpenHf(file)) { ReadAll(ck); ArchDetector.Detect(ck); }
                break;
            case "index":
                using (var ck = KeySpelling.OpenHf(folder)) ReadAll(ck);
                break;
            case "config":
                HfConfigFile.Read(file);
                break;
            case "onnx":
                OnnxChecker.Check(file);
                OnnxWriter.ReadMetadata(file);
                break;
            case "tokenizer":
                var sp = PaliConvert.Formats.SentencePiece.SentencePieceModel.Read(file);
                PaliConvert.Formats.SentencePiece.TokenizerJson.Build(sp, [("<image>", sp.Pieces.Count)]);
                break;
            case "adapter": // the config, beside the folder's adapter_model.safetensors, bound to a base of its factors' shapes
                using (var a = PaliConvert.Adapters.LoraAdapter.Open(folder))
                {
                    a.Bind(FactorShapes(a));
                    PaliConvert.Adapters.AdapterDescription.Of(a);
                }
                break;
            default:
                throw new ArgumentException($"unknown target '{target}'");
        }
    }

    public static void ReadAll(Checkpoint ck)
    {
        var buffer = new float[4096];
        foreach (var t in ck.Tensors)
            for (long o = 0; o < t.Elements; o += buffer.Length)
                t.ReadF32(o, buffer.AsSpan(0, (int)Math.Min(buffer.Length, t.Elements - o)));
    }

    /// <summary>A base made of the adapter's own factor shapes ([out, in] from lora_B and lora_A): no base file needed.</summary>
    private static Dictionary<string, TensorView> FactorShapes(PaliConvert.Adapters.LoraAdapter a)
    {
        var views = new Dictionary<string, TensorView>(StringComparer.Ordinal);
        foreach (var b in a.Weights.Tensors.Where(t => t.Name.EndsWith(".lora_B.weight", StringComparison.Ordinal)))
        {
            var name = b.Name[..^".lora_B.weight".Length];
            if (a.Weights.Find(name + ".lora_A.weight") is not { Shape.Length: 2 } A || b.Shape.Length != 2) continue;
            string hub = KeySpelling.ToHub(PaliConvert.Adapters.LoraAdapter.Module(name)) + ".weight";
            views[hub] = TensorView.Of(new TensorInfo(hub, DType.F32, [b.Shape[0], A.Shape[1]], A.Data));
        }
        return views;
    }
}
