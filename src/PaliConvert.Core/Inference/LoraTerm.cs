using System.Numerics.Tensors;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// A LoRA update run beside its base layer, as PEFT runs an unmerged adapter: y = Gain (x W + Scale (x A^T) B^T) + bias.
/// Computed apart from the merge (which writes W + Scale B A), so the two check each other.
/// </summary>
public sealed class LoraTerm(LowRank u)
{
    private readonly float[] _r = u.ReadR(), _lt = u.ReadLColumns();
    private readonly float[]? _gains = u.Gains?.Value;

    public int Rank => u.Rank;

    /// <summary>Adds the update's share to y[s, Out] = x[s, In] W, then applies DoRA's gains.</summary>
    public void AddTo(float[] x, int s, int inputs, int outputs, float[] y)
    {
        if (inputs != u.Cols || outputs > u.Rows) // a big_vision vocabulary lacks the rows HF pads it with
            throw new InvalidOperationException($"{u.Module}: a [{u.Rows}, {u.Cols}] update on a {inputs} -> {outputs} layer");
        Parallel.For(0, s, i =>
        {
            var xi = x.AsSpan(i * inputs, inputs);
            var yi = y.AsSpan(i * outputs, outputs);
            for (int q = 0; q < u.Rank; q++)
            {
                float t = u.Scale * TensorPrimitives.Dot(xi, _r.AsSpan(q * inputs, inputs));
                TensorPrimitives.MultiplyAdd(_lt.AsSpan(q * (int)u.Rows, outputs), t, yi, yi);
            }
            if (_gains != null) TensorPrimitives.Multiply(yi, _gains.AsSpan(0, outputs), yi);
        });
    }

    /// <summary>Adds row <paramref name="row"/> of the update (an embedding's token) to <paramref name="dst"/>.</summary>
    public void AddRow(long row, Span<float> dst)
    {
        for (int q = 0; q < u.Rank; q++)
            TensorPrimitives.MultiplyAdd(_r.AsSpan(q * (int)u.Cols, (int)u.Cols), u.Scale * _lt[q * u.Rows + row], dst, dst);
    }
}
