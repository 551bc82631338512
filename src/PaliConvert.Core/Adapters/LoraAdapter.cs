using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Adapters;

/// <summary>
/// A PEFT LoRA adapter folder: adapter_config.json and adapter_model.safetensors, whose keys are
/// base_model.model.MODULE.lora_A.weight [r, in] and .lora_B.weight [out, r] (lora_embedding_A [r, V] and _B [D, r] for
/// an embedding, lora_magnitude_vector [out] for DoRA), and MODULE.PARAM for modules_to_save, MODULE in the spelling
/// of the transformers that trained it (before 4.52 language_model.model.*, from 4.52 model.language_model.*).
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    public const string WeightsName = "adapter_model.safetensors", Prefix = "base_model.model.";

    public string Folder { get; }
    public AdapterConfig Config { get; }
    public SafetensorsCheckpoint Weights { get; }
    /// <summary>The key spelling the adapter was saved with (<see cref="KeySpelling"/>).</summary>
    public string Spelling { get; }
    public string Fingerprint { get; }

    private LoraAdapter(string folder, AdapterConfig config, SafetensorsCheckpoint weights)
    {
        (Folder, Config, Weights) = (folder, config, weights);
        Spelling = weights.Tensors.Any(t => Module(t.Name).StartsWith("model.", StringComparison.Ordinal))
            ? KeySpelling.InMemory : KeySpelling.Hub;
        Fingerprint = Tensors.Fingerprint.Combine(Tensors.Fingerprint.Of(weights),
            Tensors.Fingerprint.OfBytes(RegularFile.ReadAllBytes(config.Path)));
    }

    public static LoraAdapter Open(string folder)
    {
        if (File.Exists(folder))
            throw new BadInputException(folder, $"{folder} is a file: an adapter is the folder PEFT's save_pretrained writes, with " +
                $"{AdapterConfig.FileName} and {WeightsName}");
        if (!Directory.Exists(folder)) throw new BadInputException(folder, $"{folder}: no such adapter folder");
        string config = Path.Combine(folder, AdapterConfig.FileName), weights = Path.Combine(folder, WeightsName);
        if (!File.Exists(config))
            throw new BadInputException(folder, $"{folder}: {AdapterConfig.FileName} is missing; an adapter folder holds it beside " +
                $"{WeightsName}");
        if (!File.Exists(weights))
            throw new BadInputException(folder, File.Exists(Path.Combine(folder, "adapter_model.bin"))
                ? $"{folder}: only adapter_model.bin (a pickle, which is not read); save the adapter with safetensors (PEFT's default)"
                : $"{folder}: {WeightsName} is missing");
        var c = AdapterConfig.Read(config);
        var ck = SafetensorsCheckpoint.Open(weights);
        try { return new LoraAdapter(folder, c, ck); }
        catch
        {
            ck.Dispose();
            throw;
        }
    }

    /// <summary>The module path of a stored key (its base_model.model. prefix removed).</summary>
    public static string Module(string key) => key.StartsWith(Prefix, StringComparison.Ordinal) ? key[Prefix.Length..] : key;

    /// <summary>The spelling PEFT matched target_modules against, of a hub-spelt name.</summary>
    public string Trained(string hubName) => Spelling == KeySpelling.InMemory ? KeySpelling.ToInMemory(hubName) : hubName;

    /// <summary>This adapter resolved against a base model's tensors (Hugging Face names and layouts).</summary>
    public BoundAdapter Bind(IReadOnlyDictionary<string, TensorView> baseViews) => AdapterBinding.Bind(this, baseViews);

    public void Dispose() => Weights.Dispose();
}
