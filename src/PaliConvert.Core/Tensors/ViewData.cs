namespace PaliConvert.Tensors;

/// <summary>A view written as <paramref name="DType"/>.</summary>
public sealed record ViewData(TensorView View, DType DType) : IWeightData
{
    public long[] Shape => View.OutputShape;

    public void Write(ViewGather gather, Stream output) => gather.Write(View, DType, output);
}
