namespace PaliConvert.Models;

/// <summary>
/// The values a number fact may take, wherever it enters (config.json, an option): finite, above a floor, at most a
/// ceiling far beyond any real model's, so that no stated value can make the forward pass compute NaN.
/// </summary>
public readonly record struct FactRange(double Above, double Max)
{
    public static readonly FactRange Epsilon = new(0, 1);
    public static readonly FactRange RopeTheta = new(0, 1e12);
    public static readonly FactRange QueryScalar = new(1e-3, 1e9);
    /// <summary>A softcap above 0 (0 states none, which config.json spells null).</summary>
    public static readonly FactRange Softcap = new(0, 1e6);

    public bool Holds(double x) => double.IsFinite(x) && x > Above && x <= Max;

    public override string ToString() => $"a number above {Above:G} and at most {Max:G}";
}
