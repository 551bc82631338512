using System.Globalization;
using System.Text.RegularExpressions;

namespace PaliConvert.Formats.Images;

/// <summary>
/// One object PaliGemma located: its label and its box in the original image's pixels. The model writes four
/// &lt;loc####&gt; tokens, y_min x_min y_max x_max in 1,024 bins of the (stretched, square) input, then the label;
/// detections are separated by " ; " (big_vision's and transformers' PaliGemma task format).
/// </summary>
public sealed partial record Detection(string Label, double XMin, double YMin, double XMax, double YMax, int[] Bins)
{
    public const int Bins1024 = 1024;

    /// <summary>Every detection in <paramref name="text"/>, its bins scaled to a width x height image.</summary>
    public static List<Detection> Parse(string text, int width, int height)
    {
        var found = new List<Detection>();
        foreach (Match m in Pattern().Matches(text))
        {
            int[] b = [.. m.Groups["loc"].Captures.Select(c => int.Parse(c.Value, CultureInfo.InvariantCulture))];
            double Y(int v) => (double)v / Bins1024 * height;
            double X(int v) => (double)v / Bins1024 * width;
            found.Add(new Detection(m.Groups["label"].Value.Trim(), X(b[1]), Y(b[0]), X(b[3]), Y(b[2]), b));
        }
        return found;
    }

    /// <summary>The &lt;seg###&gt; codes in the text, in order (decoding them into masks is not done).</summary>
    public static List<int> Segments(string text) =>
        [.. SegPattern().Matches(text).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"(?:<loc(?<loc>\d{4})>){4}(?<label>[^;<]*)")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"<seg(\d{3})>")]
    private static partial Regex SegPattern();
}
