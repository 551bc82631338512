namespace PaliConvert.Models;

/// <summary>
/// Every kind of parameter a PaliGemma has, whatever the format: the keys of the name tables (<see cref="HfNames"/>,
/// <see cref="BigVisionNames"/>, the ONNX export's initializers). Per-layer kinds take a layer index.
/// </summary>
public enum TensorKind
{
    PatchKernel, PatchBias, PositionEmbedding,
    VisionQKernel, VisionQBias, VisionKKernel, VisionKBias, VisionVKernel, VisionVBias, VisionOutKernel, VisionOutBias,
    VisionFc1Kernel, VisionFc1Bias, VisionFc2Kernel, VisionFc2Bias,
    VisionLn1Scale, VisionLn1Bias, VisionLn2Scale, VisionLn2Bias,
    VisionFinalNormScale, VisionFinalNormBias, ProjectionKernel, ProjectionBias,
    Embedding,
    Q, K, V, O, Gate, Up, Down,
    PreAttentionNorm, PreFeedForwardNorm, PostAttentionNorm, PostFeedForwardNorm,
    FinalNorm,
}

public static class TensorKinds
{
    /// <summary>Whether the kind is one per layer (of the vision tower or the decoder).</summary>
    public static bool PerLayer(this TensorKind k) => k is >= TensorKind.VisionQKernel and <= TensorKind.VisionLn2Bias
        or >= TensorKind.Q and <= TensorKind.PostFeedForwardNorm;

    /// <summary>Whether the kind belongs to the vision tower (the projector included).</summary>
    public static bool IsVision(this TensorKind k) => k < TensorKind.Embedding;

    /// <summary>Kinds only the Gemma 2 decoder has.</summary>
    public static bool Gemma2Only(this TensorKind k) => k is TensorKind.PostFeedForwardNorm;
}

/// <summary>A tensor's shape contradicts what the model description implies for its kind.</summary>
public sealed class TensorShapeException(string file, string tensor, long[] expected, long[] actual)
    : BadInputException(file, $"{file}: tensor '{tensor}' has shape {Tensors.Shape.Format(actual)} but the model implies " +
        $"{Tensors.Shape.Format(expected)}", tensor)
{
    public long[] Expected { get; } = expected;
    public long[] Actual { get; } = actual;
}
