using System.Runtime.InteropServices;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Quantized;

/// <summary>
/// A matrix [N, K] (an [out, in] weight) as ONNX Runtime's dynamic quantization stores a MatMul's B per channel: codes
/// transposed to [K, N], one scale and zero point per output channel n. Symmetric: int8 in ONNX Runtime's reduced
/// range [-64, 64], scale = max|w| / 64, zero point 0 (x86 CPUs without VNNI multiply uint8 activations by int8 codes
/// in int16 pairs that saturate at full range, which moved a golden model's logits by 6.5); asymmetric: uint8 (a
/// uint8 x uint8 product cannot saturate) over a range that includes 0, scale = (max - min) / 255, zero point
/// round(-min / scale). Codes are round-half-to-even of w / scale + zero point, as numpy rounds. Padded rows (a padded
/// vocabulary) are columns of the stored codes, quantized from the mean row as the float export writes it.
/// </summary>
public sealed class Int8Channels(TensorView view, bool symmetric)
{
    public long N { get; } = view.OutputShape[0];
    public long K { get; } = view.OutputShape[1];
    public DType CodeType => symmetric ? DType.I8 : DType.U8;
    private const int SymmetricMax = 64;

    private (float[] scales, float[] zeros, float[]? mean)? _channels;

    public QuantizedPart Codes => new(view, CodeType, [K, N], WriteCodes);
    public QuantizedPart Scales => new(view, DType.F32, [N], (g, s) => s.Write(MemoryMarshal.AsBytes(Channels(g).scales.AsSpan())));
    public QuantizedPart ZeroPoints => new(view, CodeType, [N], (g, s) =>
    {
        var zeros = Channels(g).zeros;
        s.Write(zeros.Select(z => symmetric ? (byte)(sbyte)z : (byte)z).ToArray());
    });

    /// <summary>Scale and zero point of every row (one pass over the view), and the padding's mean row if any.</summary>
    private (float[] scales, float[] zeros, float[]? mean) Channels(ViewGather gather)
    {
        if (_channels is { } done) return done;
        var scales = new float[N];
        var zeros = new float[N];
        float[]? mean = null;
        long real = view.PadRowsTo > 0 ? view.Shape[0] : N;
        var sink = new RowSink(K, (n, row) =>
        {
            if (n == real) mean = row.ToArray();
            (scales[n], zeros[n]) = Range(row);
        });
        gather.Write(view, DType.F32, sink);
        sink.Flush();
        _channels = (scales, zeros, mean);
        return (scales, zeros, mean);
    }

    private (float scale, float zero) Range(ReadOnlySpan<float> row)
    {
        float min = 0, max = 0;
        foreach (float v in row) { if (v < min) min = v; if (v > max) max = v; }
        if (symmetric)
        {
            float abs = MathF.Max(-min, max);
            return (abs == 0 ? 1f : abs * 2 / (2f * SymmetricMax), 0);
        }
        if (max == min) return (1f, 0);
        float scale = (max - min) / 255f;
        return (scale, Math.Clamp(MathF.Round(-min / scale), 0, 255));
    }

    private void WriteCodes(ViewGather gather, Stream output)
    {
        var (scales, zeros, mean) = Channels(gather);
        float lo = symmetric ? -SymmetricMax : 0, hi = symmetric ? SymmetricMax : 255;
        var codes = new byte[N];
        long real = view.PadRowsTo > 0 ? view.Shape[0] : N;
        var sink = new RowSink(real, (k, row) =>
        {
            for (int n = 0; n < N; n++)
            {
                float v = n < real ? row[n] : mean![k];
                float q = Math.Clamp(MathF.Round(v / scales[n]) + zeros[n], lo, hi);
                codes[n] = symmetric ? (byte)(sbyte)q : (byte)q;
            }
            output.Write(codes);
        });
        gather.Write((view with { PadRowsTo = 0 }).Transposed(), DType.F32, sink);
        sink.Flush();
    }
}
