namespace PaliConvert.Adapters;

/// <summary>Where a module sits in PaliGemma.</summary>
public enum Tower { Vision, Projector, Decoder }

/// <summary>
/// One module an adapter changes, under its hub-spelt Hugging Face name: a LoRA update (rank, alpha, the scale they
/// give, DoRA or not) or, for modules_to_save, a replacement of its tensors.
/// </summary>
public sealed record LoraModule(string Module, Tower Tower, int? Layer, string Kind, int Rank, double Alpha, double Scale, bool Dora,
    bool Replaced, long Parameters)
{
    public string Weight => Module + ".weight";
}
