using PaliConvert.Tensors;

namespace PaliConvert.Synth;

/// <summary>
/// A release variant's big_vision tensors, names and shapes only (float32, no bytes behind them): what inspect
/// describes for `inspect --variant NAME`, without the multi-GB file. Reading a tensor's bytes is a bug.
/// </summary>
public sealed class VariantCheckpoint : Checkpoint
{
    public override string Format => "npz";

    public VariantCheckpoint(string variant) : base($"{variant} (release layout, no file)")
    {
        foreach (var (name, shape) in SynthVariant.Shapes(variant))
            Add(new TensorInfo(name, DType.F32, shape, new Region(null!, 0, Shape.Bytes(shape, DType.F32))), Path);
    }
}
