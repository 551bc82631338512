using System.Text.Json.Serialization;

namespace PaliConvert.Validation;

/// <summary>Figures for one (batch row, text position) over the shared vocabulary; one snake_case spelling in JSON and Parquet.</summary>
public sealed class PositionFigures
{
    [JsonPropertyName("batch")] public int Batch { get; set; }
    [JsonPropertyName("position")] public int Position { get; set; }
    [JsonPropertyName("max_abs_diff")] public double MaxAbsDiff { get; set; }
    [JsonPropertyName("max_rel_diff")] public double MaxRelDiff { get; set; }
    [JsonPropertyName("cosine")] public double Cosine { get; set; }
    [JsonPropertyName("top1_source")] public int Top1Source { get; set; }
    [JsonPropertyName("top1_target")] public int Top1Target { get; set; }
    [JsonPropertyName("top1_agrees")] public bool Top1Agrees { get; set; }
    [JsonPropertyName("top5_overlap")] public double Top5Overlap { get; set; }
    /// <summary>KL(source || target) of the softmax over the shared vocabulary, in nats.</summary>
    [JsonPropertyName("kl_divergence")] public double KlDivergence { get; set; }
}

public sealed record ComparisonSummary(
    int SharedVocab, int Positions, double MaxAbsDiff, double MaxRelDiff, double MinCosine, double Top1Agreement, double MeanTop5Overlap,
    double MeanKl, double MaxKl, string Tolerance)
{
    public bool Passed { get; init; }
}

/// <summary>Compares two models' text logits [B, T, V] over the vocabulary they share (the first min(Va, Vb) entries).</summary>
public static class LogitComparison
{
    public static (ComparisonSummary summary, List<PositionFigures> positions) Compare(float[] a, int va, float[] b, int vb, int batch,
        int t, LogitTolerance tolerance)
    {
        int v = Math.Min(va, vb);
        var rows = new List<PositionFigures>();
        for (int bi = 0; bi < batch; bi++)
            for (int p = 0; p < t; p++)
            {
                var ra = a.AsSpan((bi * t + p) * va, v);
                var rb = b.AsSpan((bi * t + p) * vb, v);
                double maxAbs = 0, maxRef = 0, dot = 0, na = 0, nb = 0;
                for (int i = 0; i < v; i++)
                {
                    double d = Math.Abs((double)ra[i] - rb[i]);
                    if (double.IsNaN(d)) d = double.PositiveInfinity;
                    maxAbs = Math.Max(maxAbs, d);
                    maxRef = Math.Max(maxRef, Math.Abs(ra[i]));
                    dot += (double)ra[i] * rb[i];
                    na += (double)ra[i] * ra[i];
                    nb += (double)rb[i] * rb[i];
                }
                var topA = Top(ra, 5);
                var topB = Top(rb, 5);
                rows.Add(new PositionFigures
                {
                    Batch = bi, Position = p, MaxAbsDiff = maxAbs, MaxRelDiff = maxRef > 0 ? maxAbs / maxRef : maxAbs,
                    Cosine = na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : (na == nb ? 1 : 0),
                    Top1Source = topA[0], Top1Target = topB[0], Top1Agrees = topA[0] == topB[0],
                    Top5Overlap = topA.Intersect(topB).Count() / (double)Math.Min(5, v), KlDivergence = Kl(ra, rb),
                });
            }
        double max = rows.Count == 0 ? 0 : rows.Max(r => r.MaxAbsDiff);
        var summary = new ComparisonSummary(v, rows.Count, max, rows.Max(r => r.MaxRelDiff), rows.Min(r => r.Cosine),
            rows.Count(r => r.Top1Agrees) / (double)rows.Count, rows.Average(r => r.Top5Overlap), rows.Average(r => r.KlDivergence),
            rows.Max(r => r.KlDivergence), tolerance.ToString());
        return (summary with { Passed = tolerance.Accepts(summary) }, rows);
    }

    /// <summary>sum p log(p / q) with p, q the softmax of the two rows, from log-sum-exp in float64.</summary>
    public static double Kl(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double la = LogSumExp(a), lb = LogSumExp(b), kl = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double lp = a[i] - la;
            kl += Math.Exp(lp) * (lp - (b[i] - lb));
        }
        return double.IsNaN(kl) ? double.PositiveInfinity : Math.Max(0, kl);
    }

    private static double LogSumExp(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in x) max = Math.Max(max, v);
        foreach (float v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    private static int[] Top(ReadOnlySpan<float> row, int k)
    {
        var idx = new List<int>();
        for (int i = 0; i < row.Length; i++)
        {
            if (idx.Count == k && !(row[i] > row[idx[^1]])) continue;
            int at = idx.Count;
            while (at > 0 && row[i] > row[idx[at - 1]]) at--;
            idx.Insert(at, i);
            if (idx.Count > k) idx.RemoveAt(k);
        }
        return idx.ToArray();
    }
}
