using PaliConvert.Formats;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>Opens a checkpoint of either format with the weight view that reads it in its own layout.</summary>
public sealed class LoadedModel : IDisposable
{
    public Checkpoint Checkpoint { get; }
    public IModelWeights Weights { get; }

    /// <summary>Token ids that are text: below image_token_index for a Hugging Face model, the whole vocabulary for big_vision.</summary>
    public int TextVocab => Checkpoint is PaliConvert.Formats.Safetensors.SafetensorsCheckpoint { Folder: { } f } && HfConfigFile.TryRead(f) is { } c
        ? Math.Min(c.ImageTokenIndex, Weights.VocabRows)
        : Weights.VocabRows;

    private LoadedModel(Checkpoint ck, IModelWeights w) { Checkpoint = ck; Weights = w; }

    public static LoadedModel Open(string path)
    {
        var ck = CheckpointReader.Open(path);
        try
        {
            var arch = ArchDetector.Detect(ck);
            IModelWeights w = ck.Find("llm/embedder/input_embedding") != null ? new BigVisionWeights(ck, arch) : new HfWeights(ck, arch);
            return new LoadedModel(ck, w);
        }
        catch
        {
            ck.Dispose();
            throw;
        }
    }

    public void Dispose() => Checkpoint.Dispose();
}
