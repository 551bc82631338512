using PaliConvert.Tensors;

namespace PaliConvert.Validation.Weights;

/// <summary>The weights proof's result: a check per target tensor, and the source's dtypes.</summary>
public sealed record WeightsReport(IReadOnlyList<WeightCheck> Checks, IReadOnlyList<DType> SourceDTypes)
{
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Equal);
    public int EqualCount => Checks.Count(c => c.Equal);

    /// <summary>The encodings the target declares, e.g. "q4 (block 32, symmetric) and f32".</summary>
    public IReadOnlyList<string> Encodings => Checks.Select(c => c.Encoding).Where(e => e.Length > 0).Distinct().Order().ToList();

    public string Summary => $"weights: {EqualCount}/{Checks.Count} tensors equal the source under " +
        $"{string.Join(" and ", Encodings)}";

    public IEnumerable<WeightCheck> Failures => Checks.Where(c => !c.Equal);

    /// <summary>The most the target's encodings lose against the source.</summary>
    public Rounding Rounding => Checks.Select(c => c.Rounding).DefaultIfEmpty(Rounding.Exact).Max();

    /// <summary>
    /// Whether the target is named as PaliConvert's rules name it at all: when no target tensor has a source tensor (an
    /// export by another tool), nothing could be compared and the weights are not proved either way.
    /// </summary>
    public bool Applicable => Checks.Any(c => c.Problem == null);
}
