using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// A block of a linear layer's weight inside a mapped tensor: <c>OutIn</c> means stored [outputs, inputs] (Hugging
/// Face Linear), otherwise [inputs, outputs] (big_vision kernels). It produces outputs [OutStart, OutStart+OutCount).
/// </summary>
public sealed record LinearBlock(TensorInfo Tensor, long Offset, bool OutIn, int OutStart, int OutCount);

/// <summary>y = x W (+ bias), W made of blocks that together cover every output once.</summary>
public sealed record Linear(int In, int Out, LinearBlock[] Blocks, float[]? Bias = null)
{
    /// <summary>An adapter's update run beside the weight (<see cref="LoraTerm"/>), or null.</summary>
    public LoraTerm? Lora { get; init; }

    public static Linear Single(TensorInfo t, long offset, int inputs, int outputs, bool outIn, float[]? bias = null) =>
        new(inputs, outputs, [new LinearBlock(t, offset, outIn, 0, outputs)], bias);

    /// <summary>
    /// Linears over the same inputs side by side, one after the other's outputs (a layer's query, key and value as one
    /// product: one pass over x and wider panels); null where one has an adapter, whose update runs apart.
    /// </summary>
    public static Linear? Concat(params Linear[] parts)
    {
        if (parts.Any(p => p.Lora != null || p.In != parts[0].In)) return null;
        var blocks = new List<LinearBlock>();
        var bias = parts.Any(p => p.Bias != null) ? new float[parts.Sum(p => p.Out)] : null;
        int at = 0;
        foreach (var p in parts)
        {
            blocks.AddRange(p.Blocks.Select(b => b with { OutStart = at + b.OutStart }));
            p.Bias?.CopyTo(bias!, at);
            at += p.Out;
        }
        return new Linear(parts[0].In, at, blocks.ToArray(), bias);
    }

    /// <summary>Releases the weight pages once used (the pass reads each weight once).</summary>
    public void Release()
    {
        foreach (var b in Blocks)
        {
            int es = b.Tensor.DType.Size();
            b.Tensor.Data.Release(b.Offset * es, (long)In * b.OutCount * es);
        }
    }
}
