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
    public static readonly string[] Targets = ["npz", "inputs", "safetensors", "index", "config", "onnx", "tokenizer"];

    public static string FileName(string target) => target switch
    {
        "index" => "model.safetensors.index.json",
        "config" => "config.json",
        "onnx" => OnnxLayout.ModelFile,
        "safetensors" => "model.safetensors",
        "tokenizer" => "tokenizer.model",
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
}
