using System.Globalization;
using System.Net;
using System.Text;
using PaliConvert.Analysis;
using PaliConvert.Models;

namespace PaliConvert.Validation.Diff;

/// <summary>
/// The at-a-glance answer to "which layers did this fine-tune touch": an SVG grid of tensor kinds (rows) by layer
/// (columns; tensors outside the layers in a column of their own), each cell coloured by the relative change
/// ||B - A|| / ||A|| on a log scale from 1e-6 (pale) to 1 (dark red); equal cells are grey.
/// </summary>
public static class DiffPlot
{
    private const int Cell = 18, Top = 40;
    private const double CharWidth = 6.8; // 11 px monospace

    public static string Svg(DiffReport report)
    {
        var cells = report.Tensors.Select(t => (kind: LayerNames.Split(t.Name).template, layer: LayerNames.Split(t.Name).layer, t))
            .ToList();
        var kinds = cells.Select(c => c.kind).Distinct().ToList();
        int layers = cells.Select(c => c.layer).DefaultIfEmpty(-1).Max() + 1;
        string title = $"{report.A} -> {report.B}: relative change by layer (grey: equal; pale to dark red: 1e-6 to 1)";
        int label = (int)(kinds.Select(k => k.Length).DefaultIfEmpty(10).Max() * CharWidth) + 12;
        int width = Math.Max(label + (layers + 1) * Cell + 20, (int)(title.Length * CharWidth) + 10);
        int height = Top + kinds.Count * Cell + 20;
        var s = new StringBuilder();
        s.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" " +
            "font-family=\"monospace\" font-size=\"11\">\n");
        s.Append($"<text x=\"4\" y=\"14\">{Esc(title)}</text>\n");
        for (int l = 0; l < layers; l++)
            s.Append($"<text x=\"{label + l * Cell + 3}\" y=\"{Top - 4}\">{l}</text>\n");
        s.Append($"<text x=\"{label + layers * Cell + 3}\" y=\"{Top - 4}\">-</text>\n");
        for (int k = 0; k < kinds.Count; k++)
        {
            int y = Top + k * Cell;
            s.Append($"<text x=\"4\" y=\"{y + 13}\">{Esc(kinds[k])}</text>\n");
            foreach (var c in cells.Where(c => c.kind == kinds[k]))
            {
                int x = label + (c.layer < 0 ? layers : c.layer) * Cell;
                s.Append($"<rect x=\"{x}\" y=\"{y}\" width=\"{Cell - 2}\" height=\"{Cell - 2}\" " +
                    $"fill=\"{Colour(c.t)}\"><title>{Esc(c.t.Name)}: {Esc(Describe(c.t))}</title></rect>\n");
            }
        }
        return s.Append("</svg>\n").ToString();
    }

    private static string Describe(TensorDiff t) => t.Status switch
    {
        DiffStatus.Equal => "equal",
        DiffStatus.Changed => string.Create(CultureInfo.InvariantCulture, $"relative change {t.RelativeChange:G3}, max |a-b| " +
            $"{t.MaxAbsDiff:G3}"),
        _ => t.Status.ToString(),
    };

    private static string Colour(TensorDiff t)
    {
        if (t.Status == DiffStatus.Equal) return "#e6e6e6";
        if (t.Status != DiffStatus.Changed || !(t.RelativeChange > 0)) return "#000000";
        double f = Math.Clamp((Math.Log10(t.RelativeChange) + 6) / 6, 0, 1); // 1e-6 -> 0, 1 -> 1
        int g = (int)(230 * (1 - f)), b = (int)(120 * (1 - f));
        return string.Create(CultureInfo.InvariantCulture, $"#{230 - (int)(90 * f):x2}{g:x2}{b:x2}");
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
