using PaliConvert.Formats.Npz;
using PaliConvert.Tensors;

namespace PaliConvert.Synth;

/// <summary>
/// Writes a random full-size checkpoint in slabs, so memory stays bounded. Values are ~N(0, 0.02^2) (Irwin-Hall
/// of four uniforms), reproducible from the seed: each slab's generator is seeded from (seed, tensor, slab).
/// </summary>
public static class SynthWriter
{
    private const int Slab = 1 << 22;

    public static void Write(string variant, SynthDType mode, ulong seed, string path,
        IProgress<(string name, double fraction)>? progress = null) =>
        Write(SynthVariant.Shapes(variant), mode, seed, path, progress);

    internal static void Write(IReadOnlyList<(string name, long[] shape)> shapes, SynthDType mode, ulong seed, string path,
        IProgress<(string name, double fraction)>? progress = null)
    {
        long total = shapes.Sum(s => Shape.Elements(s.shape)), done = 0;
        var values = new float[Slab];
        var bytes = new byte[Slab * 4];
        using var npz = new NpzWriter(path);
        for (int ti = 0; ti < shapes.Count; ti++)
        {
            var (name, shape) = shapes[ti];
            var dtype = mode.For(name);
            npz.BeginTensor(name, dtype, shape);
            long count = Shape.Elements(shape);
            for (long start = 0, slab = 0; start < count; start += Slab, slab++)
            {
                int n = (int)Math.Min(Slab, count - start);
                Fill(values.AsSpan(0, n), Mix(seed, (ulong)ti, (ulong)slab));
                var dst = bytes.AsSpan(0, n * dtype.Size());
                FloatConvert.FromF32(dtype, values.AsSpan(0, n), dst);
                npz.Write(dst);
                done += n;
                progress?.Report((name, (double)done / total));
            }
            npz.EndTensor();
        }
        npz.Finish();
    }

    private static void Fill(Span<float> dst, ulong state)
    {
        const float scale = 0.02f * 1.7320508f / 65536f; // sqrt(3): four uniforms on [0,1) have variance 1/3
        for (int i = 0; i < dst.Length; i++)
        {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17; // xorshift64
            uint sum = (uint)(state & 0xFFFF) + (uint)((state >> 16) & 0xFFFF) + (uint)((state >> 32) & 0xFFFF) + (uint)(state >> 48);
            dst[i] = ((int)sum - 131072) * scale;
        }
    }

    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong z = a * 0x9E3779B97F4A7C15 ^ b * 0xBF58476D1CE4E5B9 ^ c * 0x94D049BB133111EB;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return (z ^ (z >> 31)) | 1;
    }
}
