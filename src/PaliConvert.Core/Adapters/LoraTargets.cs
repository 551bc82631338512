using System.Globalization;
using System.Text.RegularExpressions;

namespace PaliConvert.Adapters;

/// <summary>
/// Which modules an adapter config selects, and each one's rank and alpha, matched as PEFT matches them
/// (check_target_module_exists, get_pattern_key) against module names in the spelling the adapter was trained with.
/// </summary>
public static class LoraTargets
{
    /// <summary>Whether the config targets <paramref name="module"/>; <paramref name="linear"/>: it is an nn.Linear.</summary>
    public static bool Targets(AdapterConfig c, string module, bool linear)
    {
        try { return Matches(c, module, linear); }
        catch (RegexMatchTimeoutException)
        {
            throw new BadInputException(c.Path, $"{c.Path}: a pattern took over a second to match '{module}'; simplify the regex");
        }
    }

    private static bool Matches(AdapterConfig c, string module, bool linear)
    {
        if (Excluded(c, module)) return false;
        bool named = c.AllLinear ? linear && !module.EndsWith("lm_head", StringComparison.Ordinal)
            : c.TargetRegex != null ? c.TargetRegex.IsMatch(module)
            : c.TargetList.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal));
        if (!named || c.Layers == null) return named;
        return Layer(module, c.LayersPattern) is { } layer && c.Layers.Contains(layer);
    }

    private static bool Excluded(AdapterConfig c, string module) =>
        c.ExcludeRegex?.IsMatch(module) == true
        || c.ExcludeList.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal));

    /// <summary>The layer index PEFT reads from a module name: the number after a layers_pattern segment (or any segment).</summary>
    public static int? Layer(string module, string[]? patterns)
    {
        var tries = patterns is { Length: > 0 } ? patterns.Select(p => $@"^.*\.{p}\.(\d+)\.") : [@"^.*\.[^.]*\.(\d+)\."];
        foreach (var t in tries)
        {
            var m = Regex.Match(module, t, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int i)) return i;
        }
        return null;
    }

    /// <summary>The rank PEFT gives the module: the first rank_pattern key it ends with, else r.</summary>
    public static int Rank(AdapterConfig c, string module) => First(c, c.RankPattern, module) is { } r ? r : c.R;

    public static double Alpha(AdapterConfig c, string module) => First(c, c.AlphaPattern, module) is { } a ? a : c.Alpha;

    private static T? First<T>(AdapterConfig c, IReadOnlyList<(string pattern, T value)> patterns, string module) where T : struct
    {
        try
        {
            foreach (var (p, v) in patterns)
                if (Regex.IsMatch(module, $@"^(?:.*\.)?(?:{p})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))) return v;
            return null;
        }
        catch (RegexMatchTimeoutException)
        {
            throw new BadInputException(c.Path, $"{c.Path}: a pattern took over a second to match '{module}'; simplify the regex");
        }
    }

    /// <summary>LoRA's scale: alpha / r, or alpha / sqrt(r) under rsLoRA.</summary>
    public static double Scale(AdapterConfig c, int rank, double alpha) => c.RsLora ? alpha / Math.Sqrt(rank) : alpha / rank;
}
