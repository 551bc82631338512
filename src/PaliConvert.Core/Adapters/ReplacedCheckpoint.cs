using PaliConvert.Tensors;

namespace PaliConvert.Adapters;

/// <summary>A Hugging Face checkpoint with some tensors replaced by an adapter's modules_to_save; it owns neither.</summary>
public sealed class ReplacedCheckpoint : Checkpoint
{
    private readonly Checkpoint _base;

    public ReplacedCheckpoint(Checkpoint baseModel, IReadOnlyDictionary<string, TensorInfo> replacements) : base(baseModel.Path)
    {
        _base = baseModel;
        foreach (var t in baseModel.Tensors)
            Add(replacements.TryGetValue(t.Name, out var r) ? r with { Name = t.Name } : t, baseModel.Path);
    }

    public override string Format => _base.Format;
    public override string? Folder => _base.Folder;
}
