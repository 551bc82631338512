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
    public int TextVocab => Math.Min(Weights.Arch.ImageTokenIndex, Weights.VocabRows);

    private LoadedModel(Checkpoint ck, IModelWeights w) { Checkpoint = ck; Weights = w; }

    public static LoadedModel Open(string path, StatedFacts? stated = null, IO.RunScope? scope = null)
    {
        var ck = KeySpelling.Open(path);
        try
        {
            var arch = ArchDetector.Detect(ck, stated, scope);
            IModelWeights w = BigVisionNames.Holds(ck) ? new BigVisionWeights(ck, arch) : new HfWeights(ck, arch);
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
