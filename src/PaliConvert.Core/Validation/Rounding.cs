using PaliConvert.Tensors;

namespace PaliConvert.Validation;

/// <summary>
/// How much an encoding loses against its source, in the order of the logit differences it produces: what verify's
/// default logit bound follows once the weights are proved to be the source so encoded.
/// </summary>
/// <summary>
/// Merged: the source is a base with an adapter run beside it (unmerged) and the target its merge: the same weights,
/// summed in another order.
/// </summary>
public enum Rounding { Exact, Merged, F16, BF16, Q8, Q4 }

public static class Roundings
{
    /// <summary>A float source of <paramref name="from"/> stored as <paramref name="to"/>.</summary>
    public static Rounding Float(DType from, DType to) =>
        from == to || to.Size() > from.Size() ? Rounding.Exact : to == DType.BF16 ? Rounding.BF16 : Rounding.F16;

    /// <summary>
    /// The default mean-KL bound (nats) for a target whose weights are the source rounded so: measured on the golden
    /// models (bench/README.md, "verify's default bounds") and set well above what correct conversions give there,
    /// yet below what a wrong tensor that survives the weights proof's absence would cost. Exact targets keep atol.
    /// </summary>
    public static double MaxKl(this Rounding r) => r switch
    {
        Rounding.Merged => 1e-5,
        Rounding.F16 => 1e-3,
        Rounding.BF16 => 1e-2,
        Rounding.Q8 => 0.1,
        Rounding.Q4 => 0.5,
        _ => 0,
    };

    public static string Label(this Rounding r) => r switch
    {
        Rounding.Exact => "exact",
        Rounding.Merged => "merged adapter",
        Rounding.F16 => "f16",
        Rounding.BF16 => "bf16",
        Rounding.Q8 => "q8",
        _ => "q4",
    };
}
