// The reference pass's matmul beside NumSharp's np.dot on a decoder MLP shape (bench/README.md).
// usage: dotnet run -c Release --project bench/matmul
using PaliConvert.Inference;
using PaliConvert.Tensors;
int s = 272, inF = 2048, outF = 16384;
var rng = new Random(1);
var x = new float[s * inF]; for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble() - 0.5f;
var w = new float[outF * inF]; for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
var path = Path.GetTempFileName();
File.WriteAllBytes(path, System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()).ToArray());
using var mf = new MappedFile(path);
var y = new float[s * outF];
double flop = 2.0 * s * inF * outF;
Console.WriteLine($"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
// Both storage layouts read the same bytes: [out, in] (Hugging Face) and, relabelled, [in, out] (big_vision); each
// with the 512-bit panel kernel (where the CPU has AVX-512) and the 256-bit one.
foreach (bool wide in new[] { true, false })
foreach (bool outIn in new[] { false, true })
{
    long[] shape = outIn ? [outF, inF] : [inF, outF];
    var lin = Linear.Single(new TensorInfo("w", DType.F32, shape, mf.Region(0, mf.Length)), 0, inF, outF, outIn);
    for (int rep = 0; rep < 3; rep++)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        MatMul.Apply(lin, x, s, y, wide: wide);
        Console.WriteLine($"PaliConvert MatMul {(wide ? "512" : "256")}-bit [272x2048]x[2048x16384] stored " +
            $"{(outIn ? "[out, in]" : "[in, out]")} (weights " +
            $"from a mapped file): {sw.Elapsed.TotalSeconds:F3} s, {flop / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s");
    }
}
var nx = NumSharp.np.array(x).reshape(s, inF);
var nwT = NumSharp.np.array(w).reshape(outF, inF).T; // [in, out] view, as x @ W^T
var nw = NumSharp.np.array(nwT.ToArray<float>()).reshape(inF, outF);
for (int rep = 0; rep < 3; rep++)
{
    var sw = System.Diagnostics.Stopwatch.StartNew();
    var ny = NumSharp.np.dot(nx, nw);
    Console.WriteLine($"NumSharp np.dot same shapes (weights already f32 in memory, [in,out]): {sw.Elapsed.TotalSeconds:F3} s, " +
        $"{flop / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s");
    if (rep == 2) { var yy = ny.ToArray<float>(); double m = 0; for (int i = 0; i < yy.Length; i++) m = Math.Max(m,
        Math.Abs(yy[i] - y[i])); Console.WriteLine($"max |numsharp - ours| = {m:G3}"); }
}
File.Delete(path);
