using System.Text.Json.Serialization;

namespace PaliConvert.Models;

/// <summary>How a model's tensors are laid out: the checkpoint format it was read from.</summary>
public enum CheckpointFormat
{
    /// <summary>big_vision with the layers stacked in one tensor per weight (nn.scan).</summary>
    [JsonStringEnumMemberName("big_vision stacked (nn.scan)")] BigVisionStacked,
    /// <summary>big_vision with one tensor per layer.</summary>
    [JsonStringEnumMemberName("big_vision unstacked")] BigVisionUnstacked,
    /// <summary>Hugging Face safetensors (either key spelling).</summary>
    [JsonStringEnumMemberName("Hugging Face")] HuggingFace,
    /// <summary>An ONNX export, described by its metadata.</summary>
    [JsonStringEnumMemberName("ONNX")] Onnx,
    /// <summary>A released variant's shapes, not yet any file.</summary>
    [JsonStringEnumMemberName("release")] Release,
}

public static class CheckpointFormatNames
{
    public static string Label(this CheckpointFormat f) => EnumNames.Of(f);

}
