using PaliConvert.Tensors;

namespace PaliConvert.Adapters;

/// <summary>
/// An adapter resolved against one base: the LoRA update of each adapted weight and the modules_to_save tensors that
/// replace the base's, by hub-spelt Hugging Face name. Applied to views, it merges as they are gathered.
/// </summary>
public sealed class BoundAdapter(LoraAdapter adapter, IReadOnlyList<LoraModule> modules, IReadOnlyDictionary<string, LowRank> updates,
    IReadOnlyDictionary<string, TensorInfo> replacements)
{
    public LoraAdapter Adapter => adapter;
    public IReadOnlyList<LoraModule> Modules => modules;
    public IReadOnlyDictionary<string, LowRank> Updates => updates;
    public IReadOnlyDictionary<string, TensorInfo> Replacements => replacements;
    public long Parameters => modules.Sum(m => m.Parameters);

    /// <summary>The base's views with the adapter merged into them (nothing is computed until they are written).</summary>
    public Dictionary<string, TensorView> Apply(IReadOnlyDictionary<string, TensorView> views) =>
        views.ToDictionary(kv => kv.Key, kv => View(kv.Key, kv.Value), StringComparer.Ordinal);

    /// <summary>One base view (HF name and layout) with its update or replacement.</summary>
    public TensorView View(string name, TensorView view)
    {
        if (replacements.TryGetValue(name, out var r)) return TensorView.Of(r) with { Name = view.Name };
        return updates.TryGetValue(name, out var u) ? view with { Delta = new TensorDelta(u, u.View(name)) } : view;
    }

    /// <summary>The merged model's fingerprint: the base's and the adapter's together.</summary>
    public string Fingerprint(string baseFingerprint) => Tensors.Fingerprint.Combine(baseFingerprint, adapter.Fingerprint);
}
