using System.Text.Json;

namespace PaliConvert.Models;

/// <summary>
/// A PaliGemma config.json read as transformers 5.x reads it: both spellings it accepts, its class defaults where a
/// key is absent (GemmaConfig, Gemma2Config, SiglipVisionConfig), every value type- and range-checked.
/// </summary>
public sealed record HfConfigFile(string Path, PaliGemmaArch Arch)
{
    public const string FileName = "config.json";

    /// <summary>config.json of a folder, or null when it has none.</summary>
    public static HfConfigFile? TryRead(string folder)
    {
        string path = System.IO.Path.Combine(folder, FileName);
        return File.Exists(path) ? Read(path) : null;
    }

    public static HfConfigFile Read(string path)
    {
        using var doc = Formats.JsonText.Parse(Tensors.RegularFile.ReadAllBytes(path), path);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new BadInputException(path, $"{path}: not a JSON object");
        var root = new JsonSection(path, "", doc.RootElement);
        return new HfConfigFile(path, Parse(path, root));
    }

    private static PaliGemmaArch Parse(string path, JsonSection root)
    {
        var t = root.Section("text_config");
        var v = root.Section("vision_config");
        string type = t.String("model_type", "gemma");
        var family = GemmaFamilyNames.FromModelType(type) ?? throw new BadInputException(path,
            $"{path}: {t.Name("model_type")} is '{type}'; PaliGemma's decoder is gemma or gemma2");

        int vWidth = v.Int("hidden_size", 768), vHeads = v.Int("num_attention_heads", 12);
        if (vWidth % vHeads != 0)
            throw new BadInputException(path, $"{path}: {v.Name("num_attention_heads")} {vHeads} does not divide {v.Name("hidden_size")} " +
                $"{vWidth}");
        int patch = v.Int("patch_size", 16), px = v.Int("image_size", 224);
        if (px % patch != 0)
            throw new BadInputException(path, $"{path}: {v.Name("image_size")} {px} is not a multiple of {v.Name("patch_size")} {patch}");
        var vision = new VisionArch(vWidth, v.Int("num_hidden_layers", 12), vHeads, v.Int("intermediate_size", 3072), patch, px,
            px / patch * (px / patch))
        {
            NormEps = v.Number("layer_norm_eps", ModelDefaults.NormEps, FactRange.Epsilon),
            Activation = ReadActivation(path, v, "hidden_act", null),
        };

        // GemmaConfig's and Gemma2Config's class defaults
        bool g2 = family == GemmaFamily.Gemma2;
        int layers = t.Int("num_hidden_layers", g2 ? 26 : 28), heads = t.Int("num_attention_heads", g2 ? 8 : 16);
        int kv = t.Int("num_key_value_heads", g2 ? 4 : 16), headDim = t.Int("head_dim", 256);
        if (heads % kv != 0)
            throw new BadInputException(path, $"{path}: {t.Name("num_key_value_heads")} {kv} does not divide " +
                $"{t.Name("num_attention_heads")} {heads}");
        var decoder = new DecoderArch(t.Int("hidden_size", g2 ? 2304 : 3072), layers, heads, kv, headDim,
            t.Int("intermediate_size", g2 ? 9216 : 24576), t.Int("vocab_size", 256000))
        {
            NormEps = t.Number("rms_norm_eps", ModelDefaults.NormEps, FactRange.Epsilon),
            RopeTheta = RopeTheta(path, t),
            Activation = ReadActivation(path, t, "hidden_activation", "hidden_act"),
            QueryPreAttnScalar = g2 ? t.Number("query_pre_attn_scalar", 256, FactRange.QueryScalar) : headDim,
            AttnSoftcap = g2 ? Softcap(t, "attn_logit_softcapping", ModelDefaults.AttnSoftcap) : 0,
            FinalSoftcap = g2 ? Softcap(t, "final_logit_softcapping", ModelDefaults.FinalSoftcap) : 0,
            SlidingWindow = g2 && !t.IsNull("sliding_window") ? t.Int("sliding_window", ModelDefaults.SlidingWindow) : 0,
            LayerTypes = g2 ? LayerTypes(path, t, layers) : [],
        };
        Agree(path, decoder.Width, t.Name("hidden_size"), (root, "projection_dim"), (v, "projection_dim"), (root, "hidden_size"));
        if (t.Has("attention_bias") && t.Bool("attention_bias"))
            throw new BadInputException(path, $"{path}: {t.Name("attention_bias")} is true, but PaliGemma's attention has no biases " +
                "(transformers would start them at random)", t.Name("attention_bias"));
        if (root.Has("image_token_index") && root.Has("image_token_id")
            && root.Int("image_token_index", 0) != root.Int("image_token_id", 0))
            throw new BadInputException(path, $"{path}: image_token_index and image_token_id disagree");
        int image = root.Int("image_token_index", root.Int("image_token_id", 256000));
        if (image > decoder.Vocab)
            throw new BadInputException(path, $"{path}: image_token_index {image} lies beyond {t.Name("vocab_size")} {decoder.Vocab}");
        return new PaliGemmaArch(family, vision, decoder, CheckpointFormat.HuggingFace) { ImageTokenIndex = image, FactsSource = path };
    }

    /// <summary>Keys that restate the text width (the projector maps the image to it) must state it.</summary>
    private static void Agree(string path, int width, string widthKey, params (JsonSection section, string key)[] keys)
    {
        foreach (var (section, key) in keys)
            if (section.Has(key) && section.Int(key, width) != width)
                throw new BadInputException(path, $"{path}: {section.Name(key)} is {section.Int(key, width)} but {widthKey} is {width}; " +
                    "the projector maps the image to the text width, so they must agree", section.Name(key));
    }

    private static double Softcap(JsonSection t, string key, double fallback) =>
        t.IsNull(key) ? 0 : t.Number(key, fallback, FactRange.Softcap);

    private static double RopeTheta(string path, JsonSection t)
    {
        var rp = t.Section("rope_parameters");
        string kind = rp.String("rope_type", "default");
        if (kind != "default")
            throw new BadInputException(path, $"{path}: {rp.Name("rope_type")} is '{kind}'; only default RoPE is implemented");
        if (t.Has("rope_scaling"))
            throw new BadInputException(path, $"{path}: {t.Name("rope_scaling")} is set; only default RoPE is implemented");
        double top = t.Number("rope_theta", ModelDefaults.RopeTheta, FactRange.RopeTheta);
        double theta = rp.Number("rope_theta", top, FactRange.RopeTheta);
        if (rp.Has("rope_theta") && t.Has("rope_theta") && theta != top)
            throw new BadInputException(path, $"{path}: {rp.Name("rope_theta")} {theta} and {t.Name("rope_theta")} {top} disagree");
        return theta;
    }

    /// <summary>The activation under its key or its other spelling; both present must agree; it must be implemented.</summary>
    private static Activation ReadActivation(string path, JsonSection s, string key, string? other)
    {
        string fallback = ModelDefaults.Activation.Name();
        string a = s.String(key, other != null ? s.String(other, fallback) : fallback);
        if (other != null && s.Has(key) && s.Has(other) && s.String(other, a) != a)
            throw new BadInputException(path, $"{path}: {s.Name(key)} '{a}' and {s.Name(other)} '{s.String(other, a)}' disagree");
        return ActivationNames.Parse(a) ?? throw new BadInputException(path, $"{path}: {s.Name(key)} '{a}' is not implemented " +
            $"(known: {string.Join(", ", EnumNames.All<Activation>())})");
    }

    private static LayerType[] LayerTypes(string path, JsonSection t, int layers)
    {
        var names = t.Strings("layer_types");
        if (names == null) return LayerTypeNames.Alternating(layers);
        if (names.Length != layers)
            throw new BadInputException(path, $"{path}: {t.Name("layer_types")} has {names.Length} entries for {layers} layers");
        return names.Select(x => LayerTypeNames.Parse(x) ?? throw new BadInputException(path, $"{path}: {t.Name("layer_types")} " +
            $"has '{x}' (expected {LayerType.Sliding.Name()} or {LayerType.Full.Name()})")).ToArray();
    }
}
