namespace PaliConvert.Models;

/// <summary>
/// Facts a user states for a checkpoint whose files do not hold them (a big_vision .npz, or weights without
/// config.json): single values, or an HF config.json (e.g. the base model's) whose non-shape facts are taken.
/// A softcap of 0 means none.
/// </summary>
public sealed record StatedFacts(double? QueryPreAttnScalar = null, double? AttnSoftcap = null, double? FinalSoftcap = null,
    string? ConfigFile = null)
{
    public static readonly StatedFacts None = new();
}
