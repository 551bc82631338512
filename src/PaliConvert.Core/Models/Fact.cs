namespace PaliConvert.Models;

/// <summary>One fact of a model description, by its config.json key, and what the project does with it.</summary>
public sealed record Fact(string Key, Func<PaliGemmaArch, string> Text)
{
    /// <summary>Listed in <see cref="PaliGemmaArch.Facts"/> (what verify compares and exports record).</summary>
    public bool Listed { get; init; } = true;
    /// <summary>The integer rule files may name as a size, or null.</summary>
    public Func<PaliGemmaArch, long>? Quantity { get; init; }
    /// <summary>The figure the tensors show, which a config.json must agree with, or null when they show none.</summary>
    public Func<PaliGemmaArch, long>? Shown { get; init; }
    /// <summary>The families whose big_vision checkpoints cannot show it: assumed unless a release or the user states it.</summary>
    public IReadOnlyList<GemmaFamily> GuessedFor { get; init; } = [];
}
