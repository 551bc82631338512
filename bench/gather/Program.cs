// The gather's transpose of bf16 weights (what hf2jax and jax2hf do to most of a checkpoint) beside a plain copy of the
// same bytes out of the same map, in memory (a file in /dev/shm, or the temp folder), best of 5 (bench/README.md).
// usage: dotnet run -c Release --project bench/gather
using System.Diagnostics;
using PaliConvert.Tensors;

string dir = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
// [rows, cols] as stored in the source; the gather writes its transpose. 10B: an MLP weight in HF's and in
// big_vision's layout, one attention head; 3B: an MLP weight.
foreach (var (what, rows, cols) in new[] { ("10B gate_proj", 14336L, 3584L), ("10B down_proj", 3584L, 14336L),
    ("10B one q head", 256L, 3584L), ("3B gate_proj", 16384L, 2048L) })
{
    string path = Path.Combine(dir, $"paliconvert-gather-{rows}x{cols}.bin");
    long bytes = rows * cols * 2;
    var data = new byte[bytes];
    new Random(1).NextBytes(data);
    File.WriteAllBytes(path, data);
    try
    {
        using var file = new MappedFile(path);
        var stored = TensorView.Of(new TensorInfo("w", DType.BF16, [rows, cols], file.Region(0, file.Length)));
        var gather = new ViewGather();
        double copy = Best(() => file.Span(0, (int)bytes).CopyTo(data));
        double transpose = Best(() => gather.Write(stored.Transposed(), DType.BF16, Stream.Null));
        Console.WriteLine($"{what} [{rows}, {cols}] bf16: copy {bytes / copy / 1e9:F2} GB/s, transpose " +
            $"{bytes / transpose / 1e9:F2} GB/s ({transpose / copy:F1}x the copy's time)");
    }
    finally { File.Delete(path); }
}

static double Best(Action run)
{
    double best = double.MaxValue;
    for (int rep = 0; rep < 6; rep++) // the first warms the map and the JIT
    {
        var sw = Stopwatch.StartNew();
        run();
        if (rep > 0) best = Math.Min(best, sw.Elapsed.TotalSeconds);
    }
    return best;
}
