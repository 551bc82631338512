using PaliConvert.Models;
using System.Numerics.Tensors;

namespace PaliConvert.Inference;

/// <summary>The elementwise pieces of the forward pass, in float32 as big_vision computes them.</summary>
public static class Ops
{
    /// <summary>LayerNorm over each row of width n: (x - mean) / sqrt(var + eps) * scale + bias; rows in parallel.</summary>
    public static void LayerNorm(float[] x, int rows, int n, float[] scale, float[] bias, float[] y, float eps) =>
        Rows(rows, n, r =>
        {
            var row = x.AsSpan(r * n, n);
            float mean = TensorPrimitives.Sum(row) / n;
            double var = 0;
            foreach (var v in row) var += (v - mean) * (v - mean);
            float inv = 1f / MathF.Sqrt((float)(var / n) + eps);
            // the scalar expression's operations in its order, a vector at a time (no fused multiply-add: the same bits)
            var outRow = y.AsSpan(r * n, n);
            TensorPrimitives.Subtract(row, mean, outRow);
            TensorPrimitives.Multiply(outRow, inv, outRow);
            TensorPrimitives.Multiply(outRow, scale.AsSpan(0, n), outRow);
            TensorPrimitives.Add(outRow, bias.AsSpan(0, n), outRow);
        });

    /// <summary>Gemma's RMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + scale); rows in parallel.</summary>
    public static void RmsNorm(float[] x, int rows, int n, float[] scale, float[] y, float eps) =>
        Rows(rows, n, r =>
        {
            var row = x.AsSpan(r * n, n);
            var outRow = y.AsSpan(r * n, n);
            float ms = TensorPrimitives.SumOfSquares(row) / n;
            float inv = 1f / MathF.Sqrt(ms + eps);
            for (int i = 0; i < n; i++) outRow[i] = row[i] * inv * (1f + scale[i]);
        });

    /// <summary>Row r of rows for each r, in parallel items of about a chunk's values (a few rows run inline).</summary>
    private static void Rows(int rows, int n, Action<int> row)
    {
        int per = Math.Max(1, Chunk / Math.Max(1, n));
        if (rows <= per)
            for (int r = 0; r < rows; r++) row(r);
        else Parallel.For(0, (rows + per - 1) / per, c =>
        {
            for (int r = c * per; r < Math.Min(rows, (c + 1) * per); r++) row(r);
        });
    }

    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): flax's nn.gelu and HF's gelu_pytorch_tanh.</summary>
    public static float GeluTanh(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608f * (x + 0.044715f * x * x * x)));

    /// <summary>Elements per parallel item of the elementwise ops: single-threaded, the GELU was 6 % of a 3B pass.</summary>
    private const int Chunk = 1 << 15;

    /// <summary><see cref="GeluTanh(float)"/> over a span, 1,024 values at a time.</summary>
    public static void GeluTanh(Span<float> x)
    {
        Span<float> u = stackalloc float[1024];
        for (int at = 0; at < x.Length; at += u.Length)
        {
            var c = x.Slice(at, Math.Min(u.Length, x.Length - at));
            var t = u[..c.Length];
            TensorPrimitives.Multiply(c, c, t);
            TensorPrimitives.Multiply(t, 0.044715f, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Multiply(t, c, t); // x + 0.044715 x^3
            TensorPrimitives.Multiply(t, 0.7978845608f, t);
            TensorPrimitives.Tanh(t, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Multiply(t, c, t);
            TensorPrimitives.Multiply(t, 0.5f, c);
        }
    }

    /// <summary>0.5 x (1 + erf(x / sqrt(2))): HF's "gelu".</summary>
    public static float GeluErf(float x) => (float)(0.5 * x * (1 + Erf(x / Math.Sqrt(2))));

    /// <summary>The activation <paramref name="a"/> over x's first <paramref name="length"/> values, in place, then
    /// times <paramref name="times"/> where given (Gemma's gate times up, each chunk while it is in L1: a second pass
    /// over the 17 MB of a 3B's gate took a third as long as the GELU); tanh's GELU vectorized a chunk at a time, the
    /// chunks in parallel.</summary>
    public static void Activate(float[] x, int length, Activation a, float[]? times = null)
    {
        bool tanh = a.IsTanh(); // one loop per activation: no delegate call per element on the forward pass's hot path
        Parallel.For(0, (length + Chunk - 1) / Chunk, c =>
        {
            var chunk = x.AsSpan(c * Chunk, Math.Min(Chunk, length - c * Chunk));
            if (tanh) GeluTanh(chunk);
            else
                for (int i = 0; i < chunk.Length; i++) chunk[i] = GeluErf(chunk[i]);
            if (times != null) TensorPrimitives.Multiply(chunk, times.AsSpan(c * Chunk, chunk.Length), chunk);
        });
    }

    /// <summary>The activation <paramref name="a"/> over all of x, in place.</summary>
    public static void Activate(float[] x, Activation a) => Activate(x, x.Length, a);

    /// <summary>
    /// erf(x) = 2/sqrt(pi) exp(-x^2) sum_n x (2x^2)^n / (2n+1)!!: every term positive, so no cancellation (about 1e-16);
    /// |x| &gt; 6 is +-1 within 2e-17.
    /// </summary>
    public static double Erf(double x)
    {
        if (Math.Abs(x) > 6) return Math.Sign(x);
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
    }

    /// <summary>Gemma 2's soft cap, cap * tanh(x / cap), over a row in place.</summary>
    public static void SoftCap(Span<float> x, float cap)
    {
        TensorPrimitives.Divide(x, cap, x);
        TensorPrimitives.Tanh(x, x);
        TensorPrimitives.Multiply(x, cap, x);
    }

    /// <summary>Softmax of a row in place, max-subtracted.</summary>
    public static void Softmax(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }

    /// <summary>Rotate-half RoPE (timescale = theta^(2i/H), as big_vision): the sines and cosines it turns a head vector
    /// of length h by at a position (h / 2 of each).</summary>
    public static void RopeAngles(int position, int h, float theta, Span<float> sin, Span<float> cos)
    {
        for (int i = 0; i < h / 2; i++)
        {
            float fraction = 2f * i / h;
            float timescale = MathF.Pow(theta, fraction);
            float angle = position / timescale;
            sin[i] = MathF.Sin(angle);
            cos[i] = MathF.Cos(angle);
        }
    }

    /// <summary>RoPE by angles from <see cref="RopeAngles"/>: every head at one position shares them.</summary>
    public static void Rope(Span<float> v, ReadOnlySpan<float> sin, ReadOnlySpan<float> cos)
    {
        int half = v.Length / 2;
        for (int i = 0; i < half; i++)
        {
            float x1 = v[i], x2 = v[half + i];
            v[i] = x1 * cos[i] - x2 * sin[i];
            v[half + i] = x2 * cos[i] + x1 * sin[i];
        }
    }
}
