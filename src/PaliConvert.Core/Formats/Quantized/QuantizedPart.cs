using PaliConvert.Tensors;

namespace PaliConvert.Formats.Quantized;

/// <summary>One stored tensor of a quantized weight (its codes, scales or zero points), written by a callback.</summary>
public sealed record QuantizedPart(TensorView View, DType DType, long[] Shape, Action<ViewGather, Stream> Writer) : IWeightData
{
    public void Write(ViewGather gather, Stream output) => Writer(gather, output);
}
