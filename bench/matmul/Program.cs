// The reference pass's matmul beside OpenBLAS's cblas_sgemm (and NumSharp once) on the forward pass's shapes, same run.
// usage: bench/matmul.sh (installs libopenblas0-pthread), or dotnet run -c Release --project bench/matmul [reps [filter]]
// or [pass] (OpenBLAS over one 3B pass's products: PassSequence.cs)
using System.Runtime.InteropServices;
using PaliConvert.Inference;
using PaliConvert.Tensors;
using static Blas;

if (args.Length > 0 && args[0] == "pass")
{
    PassSequence.Print();
    return;
}
int reps = args.Length > 0 ? int.Parse(args[0]) : 5;
string only = args.Length > 1 ? args[1] : ""; // shapes whose name holds it; the rest of the tables run only without one
(string Name, int S, int In, int Out)[] shapes =
[
    ("vision attention q/k/v/o", 256, 1152, 1152), ("vision mlp fc1", 256, 1152, 4304), ("vision mlp fc2", 256, 4304, 1152),
    ("projector", 256, 1152, 2048), ("decoder q/o", 272, 2048, 2048), ("decoder k/v", 272, 2048, 256),
    ("decoder gate/up", 272, 2048, 16384), ("decoder down", 272, 16384, 2048), ("tied logits, 16 text rows", 16, 2048, 257152),
    ("decode gate/up, 1 row", 1, 2048, 16384), ("decode down, 1 row", 1, 16384, 2048), ("decode logits, 1 row", 1, 2048, 257152),
];
long maxW = shapes.Max(t => (long)t.In * t.Out), maxX = shapes.Max(t => (long)t.S * t.In), maxY = shapes.Max(t => (long)t.S * t.Out);
var w = Fill(maxW, 1); var x = Fill(maxX, 2); var y = new float[maxY]; var yb = new float[maxY];
var path = Path.GetTempFileName();
using (var f = File.Create(path)) f.Write(MemoryMarshal.AsBytes(w.AsSpan()));
using var mf = new MappedFile(path);
Console.WriteLine($"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; OpenBLAS " +
    $"{Marshal.PtrToStringAnsi(openblas_get_config())}, {openblas_get_num_threads()} threads; best of {reps} runs each");
Console.WriteLine("| shape | weights | ours GFLOP/s | ours 256-bit | OpenBLAS sgemm | ours / OpenBLAS | max abs diff |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var (name, s, inF, outF) in shapes)
foreach (bool outIn in new[] { false, true })
{
    if (!name.Contains(only)) continue;
    if (outF > 100_000 && !outIn) continue; // the tied embedding is stored [vocabulary, width] by both formats
    double flop = 2.0 * s * inF * outF;
    var lin = Linear.Single(new TensorInfo("w", DType.F32, outIn ? [outF, inF] : [inF, outF], mf.Region(0, 4L * inF * outF)), 0,
        inF, outF, outIn);
    // ours (default kernel), ours 256-bit, OpenBLAS: interleaved run by run, so that a noisy period hits all three
    var (ours, narrow, blas) = Best(() => MatMul.Apply(lin, x, s, y, release: false),
        s >= 32 ? () => MatMul.Apply(lin, x, s, y, release: false, wide: false) : null,
        () => cblas_sgemm(RowMajor, NoTrans, outIn ? Trans : NoTrans, s, outF, inF, 1f, x, inF, w, outIn ? inF : outF, 0f, yb, outF));
    double diff = 0;
    for (long i = 0; i < (long)s * outF; i++) diff = Math.Max(diff, Math.Abs(y[i] - yb[i]));
    Console.WriteLine($"| {name} [{s}x{inF}]x[{inF}x{outF}] | {(outIn ? "[out, in]" : "[in, out]")} | {flop / ours / 1e9:F1} | " +
        $"{(double.IsNaN(narrow) ? "-" : (flop / narrow / 1e9).ToString("F1"))} | {flop / blas / 1e9:F1} | {blas / ours:F2} | {diff:G2} |");
}
if (only == "")
{
    var (s, inF, outF) = (272, 2048, 16384);
    var nx = NumSharp.np.array(x.AsSpan(0, s * inF).ToArray()).reshape(s, inF);
    var nw = NumSharp.np.array(w.AsSpan(0, inF * outF).ToArray()).reshape(inF, outF);
    double t = Best(() => NumSharp.np.dot(nx, nw), null, () => { }).Item1;
    Console.WriteLine($"NumSharp np.dot, decoder gate/up [in, out], in memory: {2.0 * s * inF * outF / t / 1e9:F1} GFLOP/s");
}
File.Delete(path);
if (only == "") DecodeTable.Print(reps);

(double, double, double) Best(Action a, Action b, Action c)
{
    Action[] all = [a, b ?? (() => { }), c];
    var best = new[] { double.MaxValue, double.MaxValue, double.MaxValue };
    foreach (var f in all) f(); // warm-up: the JIT's tiers and the mapped pages
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < 3; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            all[i]();
            best[i] = Math.Min(best[i], sw.Elapsed.TotalSeconds);
        }
    return (best[0], b == null ? double.NaN : best[1], best[2]);
}

static float[] Fill(long n, ulong seed)
{
    var a = new float[n];
    ulong z = seed * 0x9E3779B97F4A7C15UL;
    for (long i = 0; i < n; i++) { z ^= z << 13; z ^= z >> 7; z ^= z << 17; a[i] = (z >> 40) / (float)(1 << 24) - 0.5f; }
    return a;
}

static class Blas
{
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private const string Lib = "libopenblas.so.0";

    [DllImport(Lib)]
    public static extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c, int ldc);

    [DllImport(Lib)]
    public static extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, ref float a, int lda,
        ref float b, int ldb, float beta, ref float c, int ldc);

    [DllImport(Lib)] public static extern IntPtr openblas_get_config();
    [DllImport(Lib)] public static extern int openblas_get_num_threads();
}
