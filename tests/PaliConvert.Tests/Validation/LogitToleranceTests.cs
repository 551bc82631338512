using PaliConvert.Validation;

namespace PaliConvert.Tests.Validation;

/// <summary>The figures verify reports for quantized targets, against values worked by hand.</summary>
public class LogitToleranceTests
{
    [Fact]
    public void KlDivergenceIsThatOfTheTwoSoftmaxes()
    {
        // p = softmax(0, 0) = (1/2, 1/2), q = softmax(ln 3, 0) = (3/4, 1/4): KL = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3)
        Assert.Equal(0.5 * Math.Log(4.0 / 3), LogitComparison.Kl([0f, 0f], [MathF.Log(3), 0f]), 1e-7);
        Assert.Equal(0, LogitComparison.Kl([1f, 5f, -3f], [1f, 5f, -3f]), 12);
        Assert.Equal(0, LogitComparison.Kl([1f, 5f, -3f], [11f, 15f, 7f]), 6); // a constant shift is the same distribution
    }

    [Fact]
    public void QuantizationBoundsReplaceTheDefaultAtolAndAreReported()
    {
        float[] source = [0f, 0f, 3f, 0f, 1f, 2f], target = [0f, 0.5f, 2.5f, 0f, 2.5f, 2f]; // 2 positions, vocab 3: top-1 1 of 2
        var (loose, _) = LogitComparison.Compare(source, 3, target, 3, 1, 2, new LogitTolerance(MinTop1: 0.5));
        Assert.True(loose.Passed);
        Assert.Equal(0.5, loose.Top1Agreement);
        var (strict, rows) = LogitComparison.Compare(source, 3, target, 3, 1, 2, new LogitTolerance(MinTop1: 0.9, MaxKl: 10));
        Assert.False(strict.Passed);
        Assert.Equal(rows.Average(r => r.KlDivergence), strict.MeanKl, 12);
        Assert.False(LogitComparison.Compare(source, 3, target, 3, 1, 2, LogitTolerance.Default).summary.Passed); // atol 1e-4
        var report = new VerifyReport("a", "b", "i", "ONNX Runtime", strict, rows, new LogitTolerance(MinTop1: 0.9, MaxKl: 10));
        Assert.Contains("top-1 agreement 50.0 % &lt; 90.0 %", report.ToJUnit());
        Assert.Contains("tolerance              top-1 >= 90.0 %, mean KL <= 10", report.ToText());
    }
}
