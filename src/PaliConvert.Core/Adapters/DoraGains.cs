using PaliConvert.Formats.Quantized;
using PaliConvert.Tensors;

namespace PaliConvert.Adapters;

/// <summary>
/// DoRA's per-row factor m_i / ||W_i + scale B_i A||, as PEFT's merge computes it (the norm over each output row of the
/// merged weight): one streamed pass over the base weight with the update merged, a row at a time.
/// </summary>
internal static class DoraGains
{
    public static float[] Of(TensorView weight, LowRank update, TensorInfo magnitude)
    {
        var m = new float[update.Rows];
        magnitude.ReadF32(0, m);
        var gains = new float[update.Rows];
        var merged = weight with { Delta = new TensorDelta(update with { Gains = null }, update.View(weight.Name)) };
        var sink = new RowSink(update.Cols, (i, row) =>
        {
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(row));
            gains[i] = (float)(m[i] / (float)norm);
        });
        new ViewGather().Write(merged, DType.F32, sink);
        sink.Flush();
        return gains;
    }
}
