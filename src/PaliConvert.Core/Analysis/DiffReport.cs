using System.Numerics.Tensors;
using System.Text;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Analysis;

public enum DiffStatus { Equal, Changed, ShapeMismatch, OnlyInA, OnlyInB }

/// <summary>How one tensor differs. ChangedLayers lists layers (axis 0 of stacked tensors) whose values differ.</summary>
public sealed record TensorDiff(string Name, DiffStatus Status, string? DTypeA, string? DTypeB, double MaxAbsDiff, int[] ChangedLayers)
{
    /// <summary>The tensor's name in the other format (across formats: the big_vision tensor and slice an HF tensor comes from).</summary>
    public string? Other { get; init; }
    /// <summary>||B - A|| / ||A||: how much of the weight a fine-tune changed (NaN where A is all zero).</summary>
    public double RelativeChange { get; init; }
    /// <summary>Where in the tensor it changed, in the model's terms (heads of an attention projection).</summary>
    public string? Where { get; init; }
}

public sealed record GroupDiff(string Group, int Tensors, int Changed, double MaxAbsDiff);

public sealed record DiffReport(string A, string B, TensorDiff[] Tensors, GroupDiff[] Groups)
{
    public bool Identical => Tensors.All(t => t.Status == DiffStatus.Equal);

    /// <summary>Compares values widened to float32, chunk by chunk: equal means equal values, whatever the stored dtypes.</summary>
    public static DiffReport Compare(Checkpoint a, Checkpoint b, IProgress<string>? progress = null)
    {
        var rows = new List<TensorDiff>();
        foreach (var ta in a.Tensors)
        {
            var tb = b.Find(ta.Name);
            if (tb == null) { rows.Add(new(ta.Name, DiffStatus.OnlyInA, ta.DType.Label(), null, double.NaN, [])); continue; }
            progress?.Report(ta.Name);
            if (!Shape.Equal(ta.Shape, tb.Shape))
            {
                rows.Add(new(ta.Name, DiffStatus.ShapeMismatch, ta.DType.Label(), tb.DType.Label(), double.NaN, []));
                continue;
            }
            rows.Add(CompareValues(ta, tb));
        }
        foreach (var tb in b.Tensors.Where(t => a.Find(t.Name) == null))
            rows.Add(new(tb.Name, DiffStatus.OnlyInB, null, tb.DType.Label(), double.NaN, []));
        var groups = rows.GroupBy(r => LayerNames.GroupOf(r.Name))
            .Select(g => new GroupDiff(g.Key, g.Count(), g.Count(r => r.Status != DiffStatus.Equal),
                g.Where(r => r.Status == DiffStatus.Changed).Select(r => r.MaxAbsDiff).DefaultIfEmpty(0).Max()))
            .OrderBy(g => g.Group, StringComparer.Ordinal).ToArray();
        return new DiffReport(a.Path, b.Path, rows.ToArray(), groups);
    }

    private static TensorDiff CompareValues(TensorInfo a, TensorInfo b)
    {
        bool stacked = LayerNames.IsStacked(a.Name) && a.Shape.Length > 0;
        long layers = stacked ? a.Shape[0] : 1;
        long perLayer = layers == 0 ? 0 : a.Elements / layers;
        const int Chunk = 1 << 16;
        var fa = new float[Chunk];
        var fb = new float[Chunk];
        double max = 0;
        var changed = new List<int>();
        for (long l = 0; l < layers; l++)
        {
            bool layerChanged = false;
            for (long i = 0; i < perLayer; i += Chunk)
            {
                int n = (int)Math.Min(Chunk, perLayer - i);
                long at = l * perLayer + i;
                double d = ChunkDifference(a, b, at, n, fa, fb);
                if (d != 0) { layerChanged = true; max = double.IsNaN(d) || double.IsNaN(max) ? double.NaN : Math.Max(max, d); }
                a.Data.Release(at * a.DType.Size(), n * a.DType.Size()); // each byte is read once: memory stays flat
                b.Data.Release(at * b.DType.Size(), n * b.DType.Size());
            }
            if (layerChanged) changed.Add((int)l);
        }
        var status = changed.Count > 0 ? DiffStatus.Changed : DiffStatus.Equal;
        return new TensorDiff(a.Name, status, a.DType.Label(), b.DType.Label(), max, stacked ? changed.ToArray() : []);
    }

    /// <summary>Largest |a - b| over elements [at, at+n): 0 when equal, NaN when a NaN differs, infinity for unequal integers.</summary>
    private static double ChunkDifference(TensorInfo a, TensorInfo b, long at, int n, float[] fa, float[] fb)
    {
        int sa = a.DType.Size(), sb = b.DType.Size();
        if (a.DType == b.DType && a.Data.Span(at * sa, n * sa).SequenceEqual(b.Data.Span(at * sb, n * sb))) return 0;
        if (!a.DType.IsFloat() || !b.DType.IsFloat()) return double.PositiveInfinity;
        a.ReadF32(at, fa.AsSpan(0, n));
        b.ReadF32(at, fb.AsSpan(0, n));
        TensorPrimitives.Subtract(fa.AsSpan(0, n), fb.AsSpan(0, n), fa.AsSpan(0, n));
        float m = TensorPrimitives.MaxMagnitude(fa.AsSpan(0, n)); // keeps the sign
        return float.IsNaN(m) ? double.NaN : Math.Abs(m);
    }

    public string ToText(bool all)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"A: {A}");
        sb.AppendLine($"B: {B}");
        sb.AppendLine();
        sb.AppendLine("by module:");
        int w = Groups.Max(g => g.Group.Length);
        foreach (var g in Groups)
            sb.AppendLine($"  {g.Group.PadRight(w)}  " +
                $"{(g.Changed == 0 ? "equal" : $"{g.Changed}/{g.Tensors} changed, max |a-b| {Fmt(g.MaxAbsDiff)}")}");
        sb.AppendLine();
        var shown = Tensors.Where(t => all || t.Status != DiffStatus.Equal).ToList();
        sb.AppendLine(all ? "tensors:" : shown.Count == 0 ? "no tensor differs" : "tensors that differ:");
        foreach (var t in shown)
        {
            string what = t.Status switch
            {
                DiffStatus.Equal => "equal",
                DiffStatus.Changed => $"changed, max |a-b| {Fmt(t.MaxAbsDiff)}{Layers(t.ChangedLayers)}",
                DiffStatus.ShapeMismatch => "shapes differ",
                DiffStatus.OnlyInA => "only in A",
                _ => "only in B",
            };
            string dt = t.DTypeA != null && t.DTypeB != null && t.DTypeA != t.DTypeB ? $" ({t.DTypeA} vs {t.DTypeB})" : "";
            string rel = t.Status == DiffStatus.Changed && t.RelativeChange > 0 ? $", relative {t.RelativeChange:G3}" : "";
            string where = t.Where is { Length: > 0 } loc ? $" ({loc})" : "";
            sb.AppendLine($"  {t.Name}{(t.Other is { } o ? $" [{o}]" : "")}: {what}{rel}{where}{dt}");
        }
        sb.AppendLine();
        sb.AppendLine($"{Tensors.Count(t => t.Status == DiffStatus.Equal)} equal, {Tensors.Count(t => t.Status != DiffStatus.Equal)} " +
            $"differ");
        return sb.ToString();
    }

    private static string Layers(int[] l) => l.Length == 0 ? "" : $" in layers {string.Join(",", l)}";
    private static string Fmt(double d) => double.IsNaN(d) ? "n/a" : d.ToString("G4");
}
