using PaliConvert.Analysis;
using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.Mapping;
using PaliConvert.Models;
using PaliConvert.Tensors;
using PaliConvert.Validation.Weights;

namespace PaliConvert.Validation.Diff;

/// <summary>When two values count as equal: |a - b| &lt;= atol + rtol * |a| (numpy's isclose), to look past a dtype's rounding.</summary>
public sealed record DiffTolerance(double Atol = 0, double Rtol = 0)
{
    public bool Close(float a, float b) => a == b || Math.Abs((double)a - b) <= Atol + Rtol * Math.Abs((double)a);
}

/// <summary>
/// diff across formats, through the same rules: each side's tensors as Hugging Face tensors (an .npz by its rules, an
/// HF folder as it is, an ONNX f32 export's initializers), compared element by element in float32, with the big_vision
/// spelling beside each name, the relative change, and for attention the heads that changed.
/// </summary>
public static class FormatDiff
{
    /// <summary>Whether two checkpoints need the rules to be compared (their namings differ, or one is ONNX).</summary>
    public static bool Needed(string a, string b) => IsOnnx(a) || IsOnnx(b) || Naming(a) != Naming(b);

    private static bool IsOnnx(string p) => p.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || OnnxLayout.IsSplitFolder(p);

    private static bool Naming(string p)
    {
        using var ck = KeySpelling.Open(p);
        return BigVisionNames.Holds(ck);
    }

    /// <summary>The diff; with <paramref name="adapter"/> merged into B (diff BASE BASE --adapter: the size of each update).</summary>
    public static DiffReport Compare(string a, string b, string mappings, DiffTolerance tolerance, IProgress<string>? progress = null,
        IO.RunScope? scope = null, string? adapter = null)
    {
        using var sa = Side.Open(a, scope);
        using var sb = Side.Open(b, scope);
        var (fa, fb) = (sa.Arch.Family, sb.Arch.Family);
        if (fa != fb || sa.Arch.Decoder.Width != sb.Arch.Decoder.Width || sa.Arch.Decoder.Layers != sb.Arch.Decoder.Layers
            || sa.Arch.Vision.Width != sb.Arch.Vision.Width || sa.Arch.Vision.Layers != sb.Arch.Vision.Layers)
            throw new ModelMismatchException(a, b, "architecture", $"no rule maps {a} ({sa.Arch.Name}, width {sa.Arch.Decoder.Width}, " +
                $"{sa.Arch.Decoder.Layers} layers) onto {b} ({sb.Arch.Name}, width {sb.Arch.Decoder.Width}, {sb.Arch.Decoder.Layers} " +
                "layers): they are not the same architecture, so no tensor corresponds");
        var bv = sa.IsBigVision ? sa : sb.IsBigVision ? sb : null;
        long rows = bv?.Arch.Decoder.Vocab ?? Math.Min(sa.Rows, sb.Rows); // big_vision has no padded rows to compare
        var set = RuleSet.Load(mappings);
        var va = sa.Views(set, rows);
        var vb = sb.Views(set, rows);
        using var lora = adapter != null ? Adapters.LoraAdapter.Open(adapter) : null;
        if (lora != null)
        {
            vb = lora.Bind(vb).Apply(vb);
            b = $"{b} + {adapter}";
        }
        var rules = set.Family(fa);
        var other = bv == null ? new Dictionary<string, string>()
            : RuleNames.HfToBigVision(rules, rules.Symbols(Quantities.Of(bv.Arch, bv.Arch.Decoder.Vocab, rows)));
        var result = new List<TensorDiff>();
        foreach (var (name, x) in va.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var o = other.GetValueOrDefault(name);
            if (!vb.TryGetValue(name, out var y))
            {
                result.Add(new(name, DiffStatus.OnlyInA, x.Source.DType.Label(), null, double.NaN, []) { Other = o });
                continue;
            }
            progress?.Report(name);
            if (!Shape.Equal(x.OutputShape, y.OutputShape))
                result.Add(new(name, DiffStatus.ShapeMismatch, x.Source.DType.Label(), y.Source.DType.Label(), double.NaN, [])
                    { Other = o });
            else result.Add(Values(name, x, y, tolerance, sa.Arch) with { Other = o });
        }
        foreach (var name in vb.Keys.Where(n => !va.ContainsKey(n)).Order(StringComparer.Ordinal))
            result.Add(new(name, DiffStatus.OnlyInB, null, vb[name].Source.DType.Label(), double.NaN, [])
                { Other = other.GetValueOrDefault(name) });
        var groups = result.GroupBy(r => LayerNames.GroupOf(r.Name))
            .Select(g => new GroupDiff(g.Key, g.Count(), g.Count(r => r.Status != DiffStatus.Equal),
                g.Where(r => r.Status == DiffStatus.Changed).Select(r => r.MaxAbsDiff).DefaultIfEmpty(0).Max()))
            .OrderBy(g => g.Group, StringComparer.Ordinal).ToArray();
        return new DiffReport(a, b, result.ToArray(), groups);
    }

    private static TensorDiff Values(string name, TensorView a, TensorView b, DiffTolerance tol, PaliGemmaArch arch)
    {
        double max = 0, delta2 = 0, norm2 = 0;
        long cols = a.OutputShape.Length > 1 ? a.OutputShape[^1] : 1;
        // marks, not set insertions: every element of a fine-tuned tensor may differ
        var rows = new bool[Math.Max(1, Shape.Elements(a.OutputShape) / cols)];
        var colSet = new bool[cols];
        bool nan = false;
        ViewPairs.Read(a, b, (at, x, y) =>
        {
            for (int i = 0; i < x.Length; i++)
            {
                double d = (double)y[i] - x[i];
                norm2 += (double)x[i] * x[i];
                if (tol.Close(x[i], y[i])) continue;
                if (double.IsNaN(d)) { nan = true; continue; }
                delta2 += d * d;
                max = Math.Max(max, Math.Abs(d));
                rows[(at + i) / cols] = true;
                colSet[(at + i) % cols] = true;
            }
        });
        bool changed = rows.Contains(true) || nan;
        return new TensorDiff(name, changed ? DiffStatus.Changed : DiffStatus.Equal, a.Source.DType.Label(), b.Source.DType.Label(),
            nan ? double.NaN : max, [])
        {
            RelativeChange = norm2 > 0 ? Math.Sqrt(delta2 / norm2) : delta2 > 0 ? double.PositiveInfinity : 0,
            Where = changed ? Heads(name, Marked(rows), Marked(colSet), arch) : null,
        };
    }

    private static List<long> Marked(bool[] marks) => Enumerable.Range(0, marks.Length).Where(i => marks[i]).Select(i => (long)i).ToList();

    private static string? Heads(string name, List<long> rows, List<long> cols, PaliGemmaArch arch)
    {
        int h = name.StartsWith(HfNames.Vision, StringComparison.Ordinal) ? arch.Vision.HeadDim : arch.Decoder.HeadDim;
        bool byRows = name.Contains(".q_proj.") || name.Contains(".k_proj.") || name.Contains(".v_proj.");
        bool byCols = name.Contains(".o_proj.") || name.Contains(".out_proj.weight");
        var set = byRows ? rows : byCols ? cols : null;
        return set == null ? null : $"heads {DifferenceLocation.Ranges(set.Select(i => i / h).Distinct().ToList())}";
    }
}
