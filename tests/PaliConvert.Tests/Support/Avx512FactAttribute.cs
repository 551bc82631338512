using PaliConvert.Inference;
using PaliConvert.Tensors;

namespace PaliConvert.Tests;

/// <summary>A fact that runs where the in-register kernels run (AVX-512), and is reported skipped elsewhere.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!VectorLoads.Takes(DType.F16)) Skip = "no AVX-512 on this CPU: the kernels that use it do not run either";
    }
}
