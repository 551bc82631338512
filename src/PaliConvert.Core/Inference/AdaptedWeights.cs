using PaliConvert.Adapters;
using PaliConvert.Models;
using K = PaliConvert.Models.TensorKind;

namespace PaliConvert.Inference;

/// <summary>
/// A base model's weights with an adapter run beside them, unmerged, as PEFT's forward runs it: each adapted Linear
/// gains its <see cref="LoraTerm"/>, an adapted embedding its rows' updates. The terms are made once and kept.
/// </summary>
public sealed class AdaptedWeights(IModelWeights inner, BoundAdapter adapter) : IModelWeights
{
    private readonly Dictionary<string, LoraTerm?> _terms = new(StringComparer.Ordinal);

    public PaliGemmaArch Arch => inner.Arch;
    public int VocabRows => inner.VocabRows;
    public PatchOrder PatchOrder => inner.PatchOrder;

    private LoraTerm? Term(K kind, int layer = -1)
    {
        string name = HfNames.Of(kind, Arch.Family, layer);
        lock (_terms)
        {
            if (!_terms.TryGetValue(name, out var t))
                _terms[name] = t = adapter.Updates.TryGetValue(name, out var u) ? new LoraTerm(u) : null;
            return t;
        }
    }

    private Linear With(Linear l, K kind, int layer = -1) => Term(kind, layer) is { } t ? l with { Lora = t } : l;

    public Linear PatchEmbedding() => inner.PatchEmbedding();

    public float[] PositionEmbedding()
    {
        var p = inner.PositionEmbedding();
        if (Term(K.PositionEmbedding) is { } t)
            for (int i = 0; i < Arch.Vision.Tokens; i++) t.AddRow(i, p.AsSpan(i * Arch.Vision.Width, Arch.Vision.Width));
        return p;
    }

    public Linear Vision(VisionLinear which, int layer) => With(inner.Vision(which, layer), which switch
    {
        VisionLinear.Q => K.VisionQKernel, VisionLinear.K => K.VisionKKernel, VisionLinear.V => K.VisionVKernel,
        VisionLinear.Out => K.VisionOutKernel, VisionLinear.Fc1 => K.VisionFc1Kernel, _ => K.VisionFc2Kernel,
    }, layer);

    public (float[] scale, float[] bias) Vision(VisionNorm which, int layer) => inner.Vision(which, layer);
    public (float[] scale, float[] bias) VisionFinalNorm() => inner.VisionFinalNorm();
    public Linear Projection() => With(inner.Projection(), K.ProjectionKernel);

    public void EmbedToken(int token, Span<float> row)
    {
        inner.EmbedToken(token, row);
        Term(K.Embedding)?.AddRow(token, row);
    }

    public Linear Decoder(DecoderLinear which, int layer) => With(inner.Decoder(which, layer), which switch
    {
        DecoderLinear.Q => K.Q, DecoderLinear.K => K.K, DecoderLinear.V => K.V, DecoderLinear.Out => K.O,
        DecoderLinear.Gate => K.Gate, DecoderLinear.Up => K.Up, _ => K.Down,
    }, layer);

    public float[] Decoder(DecoderNorm which, int layer) => inner.Decoder(which, layer);
    public float[] FinalNorm() => inner.FinalNorm();
    public Linear Unembed() => With(inner.Unembed(), K.Embedding);
}
