using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests;

/// <summary>A test of the 256-bit in-register widening, skipped where the CPU has no AVX2 (the code does not run).</summary>
public sealed class Avx2FactAttribute : FactAttribute
{
    public Avx2FactAttribute()
    {
        if (!VectorLoads.Takes256(DType.F16)) Skip = "no AVX2 on this CPU: the 256-bit widening does not run either";
    }
}
