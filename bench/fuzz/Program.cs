using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Onnx;
using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Tensors;
using SharpFuzz;

// One afl++ target per parser entry point: the input bytes become a file (readers take paths, as users give them), the
// reader runs to the end, and InvalidDataException (a refusal naming the file) is the only accepted failure: anything
// else escapes to SharpFuzz, which reports it to afl++ as a crash.
// usage: dotnet PaliConvert.Fuzz.dll npz|inputs|safetensors|index|config|onnx WORKDIR
string target = args[0], work = args[1];
Directory.CreateDirectory(work);
string file = Path.Combine(work, target switch
{
    "index" => "model.safetensors.index.json",
    "config" => "config.json",
    "onnx" => "model.onnx",
    "safetensors" => "model.safetensors",
    _ => "input.npz",
});

Fuzzer.OutOfProcess.Run(stream =>
{
    using (var fs = File.Create(file)) stream.CopyTo(fs);
    try { Read(target, file, work); }
    catch (InvalidDataException e) when (e.Message.Contains(work)) { }
});

static void Read(string target, string file, string folder)
{
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
        default:
            throw new ArgumentException($"unknown target '{target}'");
    }
}

static void ReadAll(Checkpoint ck)
{
    var buffer = new float[4096];
    foreach (var t in ck.Tensors)
        for (long o = 0; o < t.Elements; o += buffer.Length)
            t.ReadF32(o, buffer.AsSpan(0, (int)Math.Min(buffer.Length, t.Elements - o)));
}
