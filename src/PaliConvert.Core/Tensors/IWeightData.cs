namespace PaliConvert.Tensors;

/// <summary>The bytes of one stored tensor, produced only when written: a view gathered as a dtype, or quantized codes.</summary>
public interface IWeightData
{
    DType DType { get; }
    long[] Shape { get; }
    /// <summary>The view the bytes come from: what is read ahead while earlier weights are written.</summary>
    TensorView View { get; }
    long Bytes => Tensors.Shape.Bytes(Shape, DType);

    /// <summary>Streams the bytes in row-major order; <paramref name="gather"/> is shared so its buffers are reused.</summary>
    void Write(ViewGather gather, Stream output);
}
