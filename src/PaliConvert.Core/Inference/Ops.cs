using System.Numerics.Tensors;

namespace PaliConvert.Inference;

/// <summary>The elementwise pieces of the forward pass, in float32 as big_vision computes them.</summary>
public static class Ops
{
    /// <summary>LayerNorm over each row of width n: (x - mean) / sqrt(var + eps) * scale + bias.</summary>
    public static void LayerNorm(float[] x, int rows, int n, float[] scale, float[] bias, float[] y, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * n, n);
            var outRow = y.AsSpan(r * n, n);
            float mean = TensorPrimitives.Sum(row) / n;
            double var = 0;
            foreach (var v in row) var += (v - mean) * (v - mean);
            float inv = 1f / MathF.Sqrt((float)(var / n) + eps);
            for (int i = 0; i < n; i++) outRow[i] = (row[i] - mean) * inv * scale[i] + bias[i];
        }
    }

    /// <summary>Gemma's RMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + scale).</summary>
    public static void RmsNorm(float[] x, int rows, int n, float[] scale, float[] y, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * n, n);
            var outRow = y.AsSpan(r * n, n);
            float ms = TensorPrimitives.SumOfSquares(row) / n;
            float inv = 1f / MathF.Sqrt(ms + eps);
            for (int i = 0; i < n; i++) outRow[i] = row[i] * inv * (1f + scale[i]);
        }
    }

    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): flax's nn.gelu and HF's gelu_pytorch_tanh.</summary>
    public static float GeluTanh(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608f * (x + 0.044715f * x * x * x)));

    /// <summary>0.5 x (1 + erf(x / sqrt(2))): HF's "gelu".</summary>
    public static float GeluErf(float x) => (float)(0.5 * x * (1 + Erf(x / Math.Sqrt(2))));

    /// <summary>The activation transformers names <paramref name="name"/>, in place.</summary>
    public static void Activate(Span<float> x, string name)
    {
        Func<float, float> f = name switch
        {
            "gelu_pytorch_tanh" or "gelu_new" => GeluTanh,
            "gelu" => GeluErf,
            _ => throw new NotSupportedException($"activation '{name}' is not implemented"),
        };
        for (int i = 0; i < x.Length; i++) x[i] = f(x[i]);
    }

    /// <summary>erf to about 1e-15 (W. J. Cody's rational approximations, via the complementary function for |x| > 0.5).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 0.5)
        {
            double t = x * x;
            double num = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
            double den = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
            return x * num / den;
        }
        return Math.Sign(x) * (1 - Erfc(ax));
    }

    private static double Erfc(double ax)
    {
        double r;
        if (ax < 4)
        {
            double num = ((((((((5.64188496988670089e-1 * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax
                + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725) * ax + 2.15311535474403846e-8);
            double den = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax
                + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
            r = num / den;
        }
        else
        {
            double z = 1 / (ax * ax);
            double num = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z + 1.25781726111229246e-1) * z
                + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
            double den = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z + 6.05183413124413191e-2) * z
                + 2.33520497626869185e-3;
            r = (1 / Math.Sqrt(Math.PI) - z * num / den) / ax;
        }
        return Math.Exp(-ax * ax) * r;
    }

    public static float SoftCap(float x, float cap) => cap * MathF.Tanh(x / cap);

    /// <summary>Softmax of a row in place, max-subtracted.</summary>
    public static void Softmax(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        for (int i = 0; i < row.Length; i++) row[i] = MathF.Exp(row[i] - max);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Divide(row, sum, row);
    }

    /// <summary>Rotate-half RoPE on one head vector at a position: timescale = theta^(2i/H), as big_vision.</summary>
    public static void Rope(Span<float> v, int position, float theta)
    {
        int half = v.Length / 2;
        for (int i = 0; i < half; i++)
        {
            float fraction = 2f * i / v.Length;
            float timescale = MathF.Pow(theta, fraction);
            float angle = position / timescale;
            float sin = MathF.Sin(angle), cos = MathF.Cos(angle);
            float x1 = v[i], x2 = v[half + i];
            v[i] = x1 * cos - x2 * sin;
            v[half + i] = x2 * cos + x1 * sin;
        }
    }
}
