using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PaliConvert.Inference;
using PaliConvert.Tensors;

/// <summary>
/// One-row products (a decode step) on the 3B's decoder shapes in each stored dtype, against the fastest honest way to
/// move the same bytes: a plain two-thread vector read of them. Each shape runs as up to 16 copies at different
/// offsets (like a step through 18 layers) so the set exceeds the last-level cache.
/// </summary>
static class DecodeTable
{
    public static void Print(int reps)
    {
        (string Name, int In, int Out, bool OutIn)[] shapes =
        [
            ("gate/up", 2048, 16384, false), ("down", 16384, 2048, false), ("q/o", 2048, 2048, false),
            ("gate/up", 2048, 16384, true), ("logits", 2048, 257152, true),
        ];
        long size = 1L << 30; // the logits' f16 bytes; every other set fits in it
        string path = Path.GetTempFileName();
        try
        {
            Write(path, size);
            using var mf = new MappedFile(path);
            var x = Enumerable.Range(0, 16384).Select(i => (i % 7) * 0.1f - 0.3f).ToArray();
            var y = new float[257152];
            Console.WriteLine();
            Console.WriteLine("| one row (decode) | weights | dtype | copies | ours GB/s | read floor GB/s | floor / ours |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var (name, inF, outF, outIn) in shapes)
                foreach (var dt in new[] { DType.F16, DType.BF16, DType.F32 })
                {
                    long bytes = (long)inF * outF * dt.Size();
                    if (bytes > size) continue;
                    int copies = (int)Math.Clamp(size / bytes, 1, 16);
                    var lins = Enumerable.Range(0, copies).Select(c => Linear.Single(new TensorInfo("w", dt,
                        outIn ? [outF, inF] : [inF, outF], mf.Region(c * bytes, bytes)), 0, inF, outF, outIn)).ToArray();
                    double ours = double.MaxValue, floor = double.MaxValue;
                    for (int r = 0; r <= reps; r++) // the first is a warm-up (JIT, the page tables)
                    {
                        double a = Time(() => { foreach (var l in lins) MatMul.Apply(l, x, 1, y, release: false); });
                        double b = Time(() => Read(mf, bytes * copies));
                        if (r > 0) (ours, floor) = (Math.Min(ours, a), Math.Min(floor, b));
                    }
                    long total = bytes * copies;
                    Console.WriteLine($"| {name} [1x{inF}]x[{inF}x{outF}] | {(outIn ? "[out, in]" : "[in, out]")} | " +
                        $"{dt.Label()} | {copies} | {total / ours / 1e9:F1} | {total / floor / 1e9:F1} | {ours / floor:F2} |");
                }
        }
        finally { File.Delete(path); }
    }

    private static double Time(Action a)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>Small random values as f16 (also valid bf16 and f32 bit patterns, finite).</summary>
    private static void Write(string path, long size)
    {
        var rnd = new Random(1);
        var buf = new Half[1 << 22];
        using var f = File.Create(path);
        for (long done = 0; done < size; done += 2L * buf.Length)
        {
            for (int i = 0; i < buf.Length; i++) buf[i] = (Half)(rnd.NextSingle() * 0.5f + 0.25f);
            f.Write(MemoryMarshal.AsBytes(buf.AsSpan()));
        }
    }

    /// <summary>The floor: every byte loaded once into vector sums, on every core.</summary>
    private static void Read(MappedFile mf, long bytes)
    {
        int tasks = 2 * Environment.ProcessorCount;
        long per = (bytes / tasks + 63) / 64 * 64;
        var sums = new float[tasks];
        Parallel.For(0, tasks, t =>
        {
            long s = t * per, e = Math.Min(bytes, s + per);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (long o = s; o < e; o += 1 << 20)
            {
                var sp = MemoryMarshal.Cast<byte, float>(mf.Span(o, (int)Math.Min(1 << 20, e - o)));
                ref float r = ref MemoryMarshal.GetReference(sp);
                for (int i = 0; i + 64 <= sp.Length; i += 64)
                {
                    a0 += Vector512.LoadUnsafe(ref r, (nuint)i); a1 += Vector512.LoadUnsafe(ref r, (nuint)i + 16);
                    a2 += Vector512.LoadUnsafe(ref r, (nuint)i + 32); a3 += Vector512.LoadUnsafe(ref r, (nuint)i + 48);
                }
            }
            sums[t] = Vector512.Sum(a0 + a1 + a2 + a3);
        });
    }
}
