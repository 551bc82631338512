namespace PaliConvert.Validation;

/// <summary>
/// What verify accepts: every logit within <paramref name="Atol"/> (a conversion: by default 1e-4), and, for a
/// quantized target, at least <paramref name="MinTop1"/> of positions agreeing on the top token and a mean KL
/// divergence of the next-token distributions at most <paramref name="MaxKl"/>. Stating either of the last two alone
/// leaves atol unchecked, since quantization moves every logit.
/// </summary>
public sealed record LogitTolerance(double? Atol = null, double? MinTop1 = null, double? MaxKl = null)
{
    public const double DefaultAtol = 1e-4;

    public static readonly LogitTolerance Default = new();

    /// <summary>The rounding of the weights the bound allows for (set by verify from the weights proof).</summary>
    public Rounding Expected { get; init; } = Rounding.Exact;

    public bool Stated => Atol != null || MinTop1 != null || MaxKl != null;

    /// <summary>
    /// The bound for a target whose weights are the source rounded by <paramref name="r"/>: what the user stated, else
    /// atol for an exact target and the rounding's mean-KL bound (<see cref="Roundings.MaxKl"/>) for a lossy one.
    /// </summary>
    public LogitTolerance For(Rounding r) => Stated || r == Rounding.Exact ? this with { Expected = r }
        : new LogitTolerance(MaxKl: r.MaxKl()) { Expected = r, FromRounding = true };

    /// <summary>Whether the bound is the rounding's default rather than one the user stated.</summary>
    public bool FromRounding { get; init; }

    /// <summary>The atol applied: as stated, else the default unless a quantization bound is stated.</summary>
    public double? AppliedAtol => Atol ?? (MinTop1 == null && MaxKl == null ? DefaultAtol : null);

    public bool Fails(PositionFigures p) => AppliedAtol is { } atol && !(p.MaxAbsDiff <= atol);

    public bool Accepts(ComparisonSummary s) =>
        double.IsFinite(s.MaxAbsDiff) && double.IsFinite(s.MeanKl) && double.IsFinite(s.Top1Agreement)
        && !(AppliedAtol is { } atol && !(s.MaxAbsDiff <= atol))
        && !(MinTop1 is { } top1 && s.Top1Agreement < top1)
        && !(MaxKl is { } kl && !(s.MeanKl <= kl));

    public override string ToString() => string.Join(", ", new[]
    {
        AppliedAtol is { } a ? $"atol {a:G4}" : null, MinTop1 is { } t ? $"top-1 >= {t:P1}" : null,
        MaxKl is { } k ? $"mean KL <= {k:G4}" : null,
    }.Where(x => x != null)) + (Expected == Rounding.Exact ? "" : $" ({(Expected == Rounding.Merged ? "an adapter run unmerged " +
        "against its merge" : $"the weights are {Expected.Label()}-rounded")}{(!FromRounding ? "" :
        $": the bound expected for {Expected.Label()}")})");
}
