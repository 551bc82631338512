namespace PaliConvert.Models;

/// <summary>
/// The facts of big_vision checkpoints, which hold shapes only: the released variants' from a table, any other's from
/// big_vision's defaults (each then listed as assumed), and what the user states over either.
/// </summary>
public static class ReleaseTable
{
    /// <summary>A released decoder: its key ('pg2-10b'), name, family and shapes, and the query scaling it uses.</summary>
    public sealed record Release(string Key, string Name, GemmaFamily Family, int Width, int Layers, int Mlp, int Heads, int KvHeads,
        int HeadDim, double QueryScalar)
    {
        /// <summary>The released checkpoint's shapes at <paramref name="imageSize"/> px (any multiple of the patch).</summary>
        public PaliGemmaArch At(int imageSize) => new(Family, VisionArch.So400mAt(imageSize),
            new DecoderArch(Width, Layers, Heads, KvHeads, HeadDim, Mlp, ReleaseVocab) { FusedQkv = Heads == KvHeads },
            CheckpointFormat.Release);
    }

    /// <summary>Every release, the one table the detector, synth and the docs read (the tests keep their own as the oracle).</summary>
    public static IReadOnlyList<Release> Releases { get; } =
    [
        new("pg1-3b", "PaliGemma 3B", GemmaFamily.Gemma, 2048, 18, 16384, 8, 1, 256, 256),
        new("pg2-3b", "PaliGemma 2 3B", GemmaFamily.Gemma2, 2304, 26, 9216, 8, 4, 256, 256),
        new("pg2-10b", "PaliGemma 2 10B", GemmaFamily.Gemma2, 3584, 42, 14336, 16, 8, 256, 256),
        // the 28B scales queries by query_pre_attn_norm rsqrt_emb_per_head
        new("pg2-28b", "PaliGemma 2 28B", GemmaFamily.Gemma2, 4608, 46, 36864, 32, 16, 128, 4608.0 / 32),
    ];

    public const int ReleaseVocab = 257152;
    public static IReadOnlyList<int> ReleaseSizes { get; } = [224, 448, 896];

    /// <summary>The arch with every non-shape fact set, and <see cref="PaliGemmaArch.Assumed"/> naming those guessed.</summary>
    public static PaliGemmaArch Complete(PaliGemmaArch shapes, StatedFacts stated)
    {
        var d = shapes.Decoder;
        var release = Releases.FirstOrDefault(r => r.Family == shapes.Family && r.Width == d.Width && r.Layers == d.Layers
            && r.Mlp == d.Mlp && r.Heads == d.Heads && r.KvHeads == d.KvHeads && r.HeadDim == d.HeadDim && d.Vocab == ReleaseVocab
            && shapes.Vision.IsSo400m && shapes.Vision.Heads == 16 && ReleaseSizes.Contains(shapes.Vision.ImageSize));
        bool g2 = shapes.Family == GemmaFamily.Gemma2;
        var arch = shapes with
        {
            Decoder = d with
            {
                QueryPreAttnScalar = release?.QueryScalar ?? d.HeadDim, // big_vision's default: query_pre_attn_norm rsqrt_head_dim
                AttnSoftcap = g2 ? ModelDefaults.AttnSoftcap : 0,
                FinalSoftcap = g2 ? ModelDefaults.FinalSoftcap : 0,
                SlidingWindow = g2 ? ModelDefaults.SlidingWindow : 0,
                LayerTypes = g2 ? LayerTypeNames.Alternating(d.Layers) : [],
            },
            ImageTokenIndex = d.Vocab,
            FactsSource = release != null ? $"the release table ({release.Name} at {shapes.Vision.ImageSize} px)" : "big_vision's defaults",
        };
        var assumed = release != null ? new List<string>() : FactTable.Guessed(arch).Select(f => $"{f.Key} {f.Text(arch)}").ToList();
        if (stated.ConfigFile != null) (arch, assumed) = (FromConfig(arch, stated.ConfigFile), []);
        var dec = arch.Decoder;
        if (stated.QueryPreAttnScalar is { } q)
            dec = dec with { QueryPreAttnScalar = InRange(q, "query_pre_attn_scalar", FactRange.QueryScalar) };
        if (stated.AttnSoftcap is { } a) dec = dec with { AttnSoftcap = Softcap(a, "attn_logit_softcapping") };
        if (stated.FinalSoftcap is { } f) dec = dec with { FinalSoftcap = Softcap(f, "final_logit_softcapping") };
        assumed.RemoveAll(s => (stated.QueryPreAttnScalar != null && s.StartsWith("text_config.query_pre_attn_scalar"))
            || (stated.AttnSoftcap != null && s.StartsWith("text_config.attn_logit"))
            || (stated.FinalSoftcap != null && s.StartsWith("text_config.final_logit")));
        bool overridden = stated.QueryPreAttnScalar != null || stated.AttnSoftcap != null || stated.FinalSoftcap != null;
        return arch with { Decoder = dec, Assumed = assumed, FactsSource = arch.FactsSource + (overridden ? " with stated options" : "") };
    }

    /// <summary>Non-shape facts from another model's config.json.</summary>
    private static PaliGemmaArch FromConfig(PaliGemmaArch a, string path)
    {
        if (!File.Exists(path)) throw new BadInputException(path, $"{path}: no such config file");
        var c = HfConfigFile.Read(path).Arch;
        if (c.Family != a.Family)
            throw new BadInputException(path, $"{path}: describes a {c.Family.Label()} decoder, but the checkpoint's is " +
                a.Family.Label());
        var cd = c.Decoder;
        if (cd.LayerTypes.Count > 0 && cd.LayerTypes.Count != a.Decoder.Layers)
            throw new BadInputException(path, $"{path}: text_config.layer_types has {cd.LayerTypes.Count} entries but the checkpoint has " +
                $"{a.Decoder.Layers} layers");
        return a with
        {
            Vision = a.Vision with { NormEps = c.Vision.NormEps, Activation = c.Vision.Activation },
            Decoder = a.Decoder with
            {
                NormEps = cd.NormEps, RopeTheta = cd.RopeTheta, Activation = cd.Activation, QueryPreAttnScalar = cd.QueryPreAttnScalar,
                AttnSoftcap = cd.AttnSoftcap, FinalSoftcap = cd.FinalSoftcap, SlidingWindow = cd.SlidingWindow, LayerTypes = cd.LayerTypes,
            },
            FactsSource = $"{path} (stated)",
        };
    }

    private static double InRange(double x, string name, FactRange range) =>
        range.Holds(x) ? x : throw new UsageException(name, $"{name} must be {range}, not {x}");

    private static double Softcap(double x, string name) => x == 0 ? 0 : InRange(x, name + " (0: none)", FactRange.Softcap);
}
