using PaliConvert.Tests;
using SharpFuzz;

// One afl++ target per parser entry point (tests/PaliConvert.Tests/Support/Readers.cs, compiled in): the input bytes
// become a file in WORKDIR (readers take paths, as users give them; index and onnx find their shards and data there),
// the reader runs to the end, and BadInputException naming the file is the only accepted failure: anything else
// escapes to SharpFuzz, which reports it to afl++ as a crash.
// usage: dotnet PaliConvert.Fuzz.dll npz|inputs|safetensors|index|config|onnx|tokenizer WORKDIR
string target = args[0], work = args[1];
Directory.CreateDirectory(work);
string file = Path.Combine(work, Readers.FileName(target));

Fuzzer.OutOfProcess.Run(stream =>
{
    using (var fs = File.Create(file)) stream.CopyTo(fs);
    try { Readers.Read(target, file); }
    catch (PaliConvert.Errors.BadInputException e) when (e.Message.Contains(work)) { }
});
