namespace PaliConvert.Validation.Weights;

/// <summary>
/// One target tensor against what its source tensor, through the rules and the target's encoding, should have made.
/// <see cref="Where"/> names what differs (layers, parts, heads); <see cref="Problem"/> is set when the tensor could
/// not be compared at all (missing, extra, another shape).
/// </summary>
public sealed record WeightCheck(string Target, string? Source, string Encoding, long Elements, long Differing, double MaxAbsDiff,
    string? Where = null, string? Problem = null, string? File = null, Rounding Rounding = Rounding.Exact)
{
    public bool Equal => Problem == null && Differing == 0;

    public string Describe() => Problem ?? (Equal ? "equal" : $"{Differing} of {Elements} stored values differ" +
        $"{(MaxAbsDiff > 0 || double.IsNaN(MaxAbsDiff) ? $" (max |diff| {MaxAbsDiff:G4})" : "")}{(Where is { } w ? $" in {w}" : "")}");
}
