namespace PaliConvert.Formats.Images;

/// <summary>
/// PIL's Image.resize with BICUBIC for 8-bit images, as libImaging/Resample.c computes it: the cubic filter (a = -0.5)
/// widened by the downscale factor (antialiasing), coefficients normalised then turned to 22-bit fixed point, a
/// horizontal pass then a vertical one, each rounded and clipped to 8 bits. A pass whose size does not change is skipped.
/// </summary>
public static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    public static RgbImage Bicubic(RgbImage im, int width, int height)
    {
        var x = im;
        if (width != im.Width) x = Pass(x, width, horizontal: true);
        if (height != im.Height) x = Pass(x, height, horizontal: false);
        return x;
    }

    private static double Filter(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>Each output position's first input, count and fixed-point weights (precompute_coeffs, normalize_coeffs_8bpc).</summary>
    private static (int[] first, int[] count, int[] weights, int ksize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0), support = 2.0 * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var first = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int o = 0; o < outSize; o++)
        {
            double center = (o + 0.5) * scale, ss = 1.0 / filterScale, total = 0;
            int min = Math.Max((int)(center - support + 0.5), 0), max = Math.Min((int)(center + support + 0.5), inSize) - min;
            for (int i = 0; i < max; i++) total += k[i] = Filter((i + min - center + 0.5) * ss);
            for (int i = 0; i < max; i++)
            {
                double w = total != 0.0 ? k[i] / total : k[i];
                weights[o * ksize + i] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            (first[o], count[o]) = (min, max);
        }
        return (first, count, weights, ksize);
    }

    private static RgbImage Pass(RgbImage im, int size, bool horizontal)
    {
        int inSize = horizontal ? im.Width : im.Height, ow = horizontal ? size : im.Width, oh = horizontal ? im.Height : size;
        var (first, count, weights, ksize) = Coefficients(inSize, size);
        var px = new byte[ow * oh * 3];
        Parallel.For(0, oh, y =>
        {
            for (int x = 0; x < ow; x++)
            {
                int o = horizontal ? x : y;
                for (int c = 0; c < 3; c++)
                {
                    int acc = 1 << (PrecisionBits - 1);
                    for (int i = 0; i < count[o]; i++)
                    {
                        int src = first[o] + i;
                        acc += im.At(horizontal ? src : x, horizontal ? y : src, c) * weights[o * ksize + i];
                    }
                    px[(y * ow + x) * 3 + c] = Clip8(acc);
                }
            }
        });
        return new RgbImage(ow, oh, px);
    }

    private static byte Clip8(int v) => v >= 1 << PrecisionBits << 8 ? (byte)255 : v <= 0 ? (byte)0 : (byte)(v >> PrecisionBits);
}
