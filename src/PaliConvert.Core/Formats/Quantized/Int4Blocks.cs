using PaliConvert.Tensors;

namespace PaliConvert.Formats.Quantized;

/// <summary>
/// A matrix [N, K] as ONNX Runtime's MatMulNBits stores it (4 bits): each row cut into blocks of blockSize values, each block
/// a scale (and, asymmetric, a zero point) and codes packed two to a byte, low nibble first; codes [N, blocks, size/2],
/// scales [N * blocks] in the activations' float type, zero points [N * ceil(blocks / 2)]. The arithmetic is ONNX
/// Runtime's own quantizer's (MlasQuantizeBlockwise): symmetric, scale = the block's value of largest magnitude / -8
/// and zero point 8; asymmetric, scale = (max - min) / 15 over a range that includes 0. Codes round half away from
/// zero from value * (1 / scale) + zero point, with the scale as stored (an f16 scale rounded first).
/// </summary>
public sealed class Int4Blocks(TensorView view, int blockSize, bool symmetric, DType scaleType)
{
    public long N { get; } = view.OutputShape[0];
    public long K { get; } = view.OutputShape[1];
    public long Blocks => (K + blockSize - 1) / blockSize;

    public QuantizedPart Codes => new(view, DType.U8, [N, Blocks, blockSize / 2], (g, s) => Rows(g, s, Kind.Codes));
    public QuantizedPart Scales => new(view, scaleType, [N * Blocks], (g, s) => Rows(g, s, Kind.Scales));
    public QuantizedPart? ZeroPoints => symmetric ? null
        : new(view, DType.U8, [N * ((Blocks + 1) / 2)], (g, s) => Rows(g, s, Kind.Zeros));

    private enum Kind { Codes, Scales, Zeros }

    private void Rows(ViewGather gather, Stream output, Kind kind)
    {
        int blocks = (int)Blocks;
        var codes = new byte[blocks * blockSize / 2];
        var scales = new float[blocks];
        var zeros = new byte[blocks];
        var packedZeros = new byte[(blocks + 1) / 2];
        var scaleBytes = new byte[blocks * scaleType.Size()];
        var sink = new RowSink(K, (_, row) =>
        {
            Quantize(row, blockSize, symmetric, scaleType, kind == Kind.Codes ? codes : [], scales, zeros);
            switch (kind)
            {
                case Kind.Codes: output.Write(codes); break;
                case Kind.Scales: FloatConvert.FromF32(scaleType, scales, scaleBytes); output.Write(scaleBytes); break;
                default:
                    Array.Fill(packedZeros, (byte)0x88); // an odd block count leaves the last high nibble 8, as ONNX Runtime does
                    for (int b = 0; b < blocks; b++)
                        packedZeros[b / 2] = (byte)(b % 2 == 0 ? 0x80 | zeros[b] : (packedZeros[b / 2] & 0xF) | zeros[b] << 4);
                    output.Write(packedZeros);
                    break;
            }
        });
        gather.Write(view, DType.F32, sink);
        sink.Flush();
    }

    /// <summary>
    /// One row: scales and zero points per block, and codes packed per block (padding past K holds the zero point)
    /// unless <paramref name="codes"/> is empty.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> row, int blockSize, bool symmetric, DType scaleType, Span<byte> codes,
        Span<float> scales, Span<byte> zeros)
    {
        for (int b = 0; b * blockSize < row.Length; b++)
        {
            var block = row.Slice(b * blockSize, Math.Min(blockSize, row.Length - b * blockSize));
            float min = float.MaxValue, max = -float.MaxValue;
            foreach (float v in block) { if (v < min) min = v; if (v > max) max = v; }
            float scale;
            byte zp = 8;
            if (symmetric) scale = (MathF.Abs(max) > MathF.Abs(min) ? max : min) / -8f;
            else
            {
                (min, max) = (MathF.Min(min, 0), MathF.Max(max, 0));
                scale = (max - min) / 15f;
                float z = scale != 0 ? -min / scale : min;
                zp = z < 0 ? (byte)0 : z > 15 ? (byte)15 : (byte)MathF.Round(z, MidpointRounding.AwayFromZero);
            }
            if (scaleType == DType.F16) scale = (float)(Half)scale;
            scales[b] = scale;
            zeros[b] = zp;
            if (codes.IsEmpty) continue;
            float reciprocal = scale != 0 ? 1f / scale : 0f;
            var packed = codes.Slice(b * blockSize / 2, blockSize / 2);
            for (int i = 0; i < blockSize; i += 2)
            {
                int lo = i < block.Length ? Code(block[i], reciprocal, zp) : zp;
                int hi = i + 1 < block.Length ? Code(block[i + 1], reciprocal, zp) : zp;
                packed[i / 2] = (byte)(lo | hi << 4);
            }
        }
    }

    private static int Code(float v, float reciprocal, byte zp) =>
        (int)Math.Clamp(MathF.Round(v * reciprocal + zp, MidpointRounding.AwayFromZero), 0f, 15f);
}
