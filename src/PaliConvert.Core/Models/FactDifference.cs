namespace PaliConvert.Models;

/// <summary>One fact on both sides; <see cref="Equal"/> when they agree.</summary>
public sealed record FactDifference(string Fact, string Source, string Target)
{
    public bool Equal => Source == Target;
}
