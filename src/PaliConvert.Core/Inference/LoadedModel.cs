using PaliConvert.Adapters;
using PaliConvert.Formats;
using PaliConvert.Mapping;
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

    /// <summary>The adapter run beside the weights, or null.</summary>
    public BoundAdapter? Adapter { get; }

    private LoadedModel(Checkpoint ck, IModelWeights w, BoundAdapter? adapter) { Checkpoint = ck; Weights = w; Adapter = adapter; }

    /// <summary>Opens a model; with <paramref name="adapter"/>, a PEFT adapter runs beside it (bound through the rules).</summary>
    public static LoadedModel Open(string path, StatedFacts? stated = null, IO.RunScope? scope = null, AdapterInput? adapter = null)
    {
        var ck = KeySpelling.Open(path);
        LoraAdapter? lora = null;
        try
        {
            var arch = ArchDetector.Detect(ck, stated, scope);
            bool bigVision = BigVisionNames.Holds(ck);
            if (adapter == null) return new LoadedModel(ck, Plain(ck, arch, bigVision), null);
            lora = LoraAdapter.Open(adapter.Folder);
            var bound = lora.Bind(HfViews.Of(ck, arch, RuleSet.Load(adapter.MappingsFolder)));
            if (bound.Replacements.Count > 0 && bigVision)
                throw new BadInputException(adapter.Folder, $"{adapter.Folder}: modules_to_save replaces tensors, which runs on a " +
                    "Hugging Face base only; merge the adapter first (merge-adapter) and run the merged model");
            var weights = Plain(bound.Replacements.Count > 0 ? new ReplacedCheckpoint(ck, bound.Replacements) : ck, arch, bigVision);
            return new LoadedModel(ck, new AdaptedWeights(weights, bound), bound);
        }
        catch
        {
            lora?.Dispose();
            ck.Dispose();
            throw;
        }
    }

    private static IModelWeights Plain(Checkpoint ck, PaliGemmaArch arch, bool bigVision) =>
        bigVision ? new BigVisionWeights(ck, arch) : new HfWeights(ck, arch);

    public void Dispose()
    {
        Adapter?.Adapter.Dispose();
        Checkpoint.Dispose();
    }
}

/// <summary>A PEFT adapter folder to run with a model, and the rules that name its base's tensors.</summary>
public sealed record AdapterInput(string Folder, string MappingsFolder);
