using System.Globalization;
using System.Text.RegularExpressions;
using PaliConvert.Models;

namespace PaliConvert.Synth;

/// <summary>
/// The real big_vision names and shapes of a PaliGemma release (from the release table and the name table; checked
/// against an independent table, tests/PaliConvert.Tests/oracle/synth_shapes.py), for variants spelled 'pg1-3b-224',
/// 'pg2-10b-448', ... (resolution any multiple of 14).
/// </summary>
public static partial class SynthVariant
{
    private const int Patch = 14;

    public static IEnumerable<string> Known =>
        ReleaseTable.Releases.SelectMany(r => ReleaseTable.ReleaseSizes.Select(px => $"{r.Key}-{px}"));

    [GeneratedRegex(@"^(pg[12]-\d+b)-(\d+)$")]
    private static partial Regex Pattern();

    public static List<(string name, long[] shape)> Shapes(string variant)
    {
        var m = Pattern().Match(variant);
        var release = m.Success ? ReleaseTable.Releases.FirstOrDefault(r => r.Key == m.Groups[1].Value) : null;
        if (release == null || !int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int px)
            || px % Patch != 0 || px == 0)
            throw new UsageException("variant", $"unknown variant '{variant}'; known: {string.Join(", ", Known)} (resolution any " +
                $"multiple of {Patch})");
        // in name order, as the files big_vision writes hold them, Gemma 2's post norms last (as this writer always had them)
        var all = BigVisionNames.Stacked(release.At(px));
        var post = new[] { TensorKind.PostAttentionNorm, TensorKind.PostFeedForwardNorm }.Select(k => BigVisionNames.Of(k).Name).ToList();
        return [.. all.Where(t => !post.Contains(t.name)).OrderBy(t => t.name, StringComparer.Ordinal),
            .. post.SelectMany(n => all.Where(t => t.name == n))];
    }
}
