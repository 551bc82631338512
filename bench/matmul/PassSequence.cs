using System.Diagnostics;
using static Blas;

/// <summary>
/// OpenBLAS's cblas_sgemm over the products of one forward pass of the synthetic 3B (pg1-3b-224: 256 image and 16
/// text tokens), in the pass's order, each layer's weight at another place of a 1 GB buffer (f32, in memory), and the
/// tied logits against a 2.1 GB embedding: their FLOPs over their wall time. A yardstick as long as the pass (some 8
/// s), which a noisy stretch hits as it hits the pass, where a best-of-3 of one shape takes OpenBLAS's best moment.
/// </summary>
static class PassSequence
{
    public static void Print()
    {
        const int tokens = 256, s = 272, text = 16, vocab = 257152, width = 2048;
        var products = new List<(int S, int In, int Out)>();
        for (int l = 0; l < 27; l++)
            products.AddRange([(tokens, 1152, 3456), (tokens, 1152, 1152), (tokens, 1152, 4304), (tokens, 4304, 1152)]);
        products.Add((tokens, 1152, width));
        for (int l = 0; l < 18; l++)
            products.AddRange([(s, width, 2560), (s, width, width), (s, width, 16384), (s, width, 16384), (s, 16384, width)]);
        const long region = 1L << 28; // floats
        var w = new float[region];
        var embedding = new float[(long)vocab * width];
        var x = new float[s * 16384];
        var y = new float[Math.Max(text * vocab, s * 16384)];
        w.AsSpan().Fill(0.01f);
        embedding.AsSpan().Fill(0.01f);
        x.AsSpan().Fill(0.02f);
        Run([.. products.Take(4), .. products.TakeLast(5)], w, x, y); // warm-up: OpenBLAS's threads and buffers
        var sw = Stopwatch.StartNew();
        double flop = Run(products, w, x, y);
        cblas_sgemm(RowMajor, NoTrans, Trans, text, vocab, width, 1f, ref x[0], width, ref embedding[0], width, 0f, ref y[0], vocab);
        flop += 2.0 * text * vocab * width;
        double t = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"OpenBLAS over the pass's products: {flop / 1e12:F4} TFLOP in {t:F2} s = {flop / t / 1e9:F1} GFLOP/s");
    }

    private static double Run(List<(int S, int In, int Out)> products, float[] w, float[] x, float[] y)
    {
        double flop = 0;
        long at = 0;
        foreach (var (rows, inF, outF) in products)
        {
            long size = (long)inF * outF;
            if (at + size > w.Length) at = 0;
            cblas_sgemm(RowMajor, NoTrans, NoTrans, rows, outF, inF, 1f, ref x[0], inF, ref w[at], outF, 0f, ref y[0], outF);
            at += size;
            flop += 2.0 * rows * inF * outF;
        }
        return flop;
    }
}
