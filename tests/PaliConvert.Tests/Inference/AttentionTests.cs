using PaliConvert.Inference;

namespace PaliConvert.Tests.Inference;

/// <summary>
/// Attention against softmax(q k^T scale) v in double, one query and key at a time: query rows after cached positions,
/// grouped kv heads, the prefix-LM mask with a sliding window, a softcap, and head sizes and lengths that leave partial
/// register blocks (rows not a multiple of 8, keys and head sizes not of 32) and more than one block of 64 queries.
/// </summary>
public class AttentionTests
{
    [Theory]
    [InlineData(256, 0, 16, 16, 72, false, 0f, 0), InlineData(70, 5, 8, 1, 256, true, 50f, 0),
        InlineData(3, 40, 4, 2, 20, true, 0f, 16), InlineData(1, 130, 2, 1, 8, true, 30f, 7), InlineData(9, 0, 3, 3, 33, false, 0f, 0)]
    public void EqualsSoftmaxOfScoresTimesValuesInDouble(int n, int start, int heads, int kvHeads, int h, bool masked,
        float softcap, int window)
    {
        int total = start + n;
        var rng = new Random(n * 31 + h);
        float[] Fill(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var (q, k, v) = (Fill(n * heads * h), Fill(total * kvHeads * h), Fill(total * kvHeads * h));
        // groups: a prefix of bidirectional positions, then each position its own causal group
        int[]? group = masked ? Enumerable.Range(0, total).Select(j => Math.Max(0, j - total / 3)).ToArray() : null;
        float scale = 1f / MathF.Sqrt(h);
        var output = new float[n * heads * h];
        Attention.Apply(q, k, v, n, start, total, heads, kvHeads, h, scale, group, softcap, window, output);
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int m = 0; m < heads; m++)
            {
                int g = m / (heads / kvHeads);
                var p = new double[total];
                for (int j = 0; j < total; j++)
                {
                    double s = 0;
                    for (int d = 0; d < h; d++) s += (double)q[(i * heads + m) * h + d] * k[(j * kvHeads + g) * h + d];
                    s *= scale;
                    if (softcap > 0) s = softcap * Math.Tanh(s / softcap);
                    p[j] = group == null || PaliGemmaForward.Visible(group, start + i, j, window) ? s : double.NegativeInfinity;
                }
                double max = p.Max(), sum = p.Sum(x => Math.Exp(x - max));
                for (int d = 0; d < h; d++)
                {
                    double want = 0;
                    for (int j = 0; j < total; j++) want += Math.Exp(p[j] - max) / sum * v[(j * kvHeads + g) * h + d];
                    worst = Math.Max(worst, Math.Abs(want - output[(i * heads + m) * h + d]));
                }
            }
        Assert.True(worst < 2e-6, $"max |diff| {worst}");
    }
}
