using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Adapters;

/// <summary>
/// Resolves an adapter's keys against a base: every key is a LoRA factor, a DoRA magnitude or a modules_to_save
/// tensor of a module the base has, in a shape that fits it, finite, and selected by the config; every module the
/// config selects has its factors. Anything else is refused naming the file and key, before any work.
/// </summary>
internal static class AdapterBinding
{
    private const string A = ".lora_A.weight", B = ".lora_B.weight", EA = ".lora_embedding_A", EB = ".lora_embedding_B";
    private static readonly string[] Magnitudes = [".lora_magnitude_vector.weight", ".lora_magnitude_vector"];
    private static readonly string[] Embeddings = ["embed_tokens", "position_embedding"];

    private sealed class Parts
    {
        public TensorInfo? A, B, EA, EB, M;
    }

    public static BoundAdapter Bind(LoraAdapter a, IReadOnlyDictionary<string, TensorView> views)
    {
        var lora = new Dictionary<string, Parts>(StringComparer.Ordinal);
        var saved = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var t in a.Weights.Tensors)
        {
            Finite(a, t);
            if (!t.Name.StartsWith(LoraAdapter.Prefix, StringComparison.Ordinal)) throw Bad(a, t.Name, "does not start with " +
                $"'{LoraAdapter.Prefix}', as every key PEFT saves does");
            string key = LoraAdapter.Module(t.Name);
            if (Split(key) is var (module, part))
            {
                var p = lora.TryGetValue(module, out var x) ? x : lora[module] = new Parts();
                if (part == A) p.A = t; else if (part == B) p.B = t; else if (part == EA) p.EA = t; else if (part == EB) p.EB = t;
                else p.M = t;
            }
            else if (key.Contains(".lora_", StringComparison.Ordinal))
                throw Bad(a, t.Name, "is a LoRA tensor of a kind that is not merged");
            else saved[key] = t;
        }
        var modules = new List<LoraModule>();
        var updates = new Dictionary<string, LowRank>(StringComparer.Ordinal);
        foreach (var (module, p) in lora.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            var (m, u) = Update(a, module, p, views);
            modules.Add(m);
            updates[m.Weight] = u;
        }
        var replaced = Replacements(a, saved, views, modules);
        Untouched(a, views, lora.Keys.Select(KeySpelling.ToHub).ToHashSet());
        return new BoundAdapter(a, modules, updates, replaced);
    }

    private static (string module, string part)? Split(string key)
    {
        foreach (var s in (string[])[A, B, EA, EB, .. Magnitudes])
            if (key.EndsWith(s, StringComparison.Ordinal)) return (key[..^s.Length], s);
        return null;
    }

    private static BadInputException Bad(LoraAdapter a, string key, string what) =>
        new(a.Weights.Path, $"{a.Weights.Path}: '{key}' {what}", key);

    private static void Finite(LoraAdapter a, TensorInfo t)
    {
        if (!t.DType.IsFloat()) throw Bad(a, t.Name, $"is {t.DType.Label()}; adapter weights are floats");
        var buf = new float[1 << 16];
        for (long i = 0; i < t.Elements; i += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, t.Elements - i);
            t.ReadF32(i, buf.AsSpan(0, n));
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(buf.AsSpan(0, n)))
                throw Bad(a, t.Name, "holds a NaN or infinite value");
            t.Data.Release(i * t.DType.Size(), (long)n * t.DType.Size());
        }
    }

    private static (LoraModule, LowRank) Update(LoraAdapter a, string module, Parts p, IReadOnlyDictionary<string, TensorView> views)
    {
        string hub = KeySpelling.ToHub(module), weight = hub + ".weight", first = LoraAdapter.Prefix + module;
        bool embedding = p.EA != null || p.EB != null;
        if (embedding && (p.A != null || p.B != null)) throw Bad(a, first + A, "sits beside embedding factors of the same module");
        var (l, r) = embedding ? (p.EA, p.EB) : (p.B, p.A);
        if (p.A == null && !embedding) throw Bad(a, first + A, "is missing (lora_B is there; both factors are needed)");
        if (p.B == null && !embedding) throw Bad(a, first + B, "is missing (lora_A is there; both factors are needed)");
        if (embedding && (p.EA == null || p.EB == null)) throw Bad(a, first + (p.EA == null ? EA : EB), "is missing");
        if (!views.TryGetValue(weight, out var view))
            throw Bad(a, l!.Name, hub.EndsWith("lm_head", StringComparison.Ordinal)
                ? "adapts lm_head, which PaliGemma ties to embed_tokens: a merged model cannot hold it apart"
                : $"adapts '{module}', which the base model does not have");
        long rows = view.OutputShape[0], cols = Shape.Elements(view.OutputShape[1..]);
        bool isEmbedding = Embeddings.Any(e => hub.EndsWith("." + e, StringComparison.Ordinal));
        if (view.OutputShape.Length != 2 || isEmbedding != embedding)
            throw Bad(a, l!.Name, $"adapts '{module}' {Shape.Format(view.OutputShape)}, which is not " +
                (embedding ? "an embedding" : "a Linear layer (LoRA on a convolution or a norm is not merged)"));
        int rank = (int)(embedding ? p.EA!.Shape[0] : p.A!.Shape[0]);
        long[] wantL = embedding ? [rank, rows] : [rows, rank], wantR = embedding ? [cols, rank] : [rank, cols];
        if (!Shape.Equal(l!.Shape, wantL) || !Shape.Equal(r!.Shape, wantR))
            throw Bad(a, l.Shape.Length > 0 && Shape.Equal(l.Shape, wantL) ? r!.Name : l.Name,
                $"has a shape that does not fit '{module}' {Shape.Format(view.OutputShape)} at rank {rank} " +
                $"({Shape.Format(l.Shape)} and {Shape.Format(r!.Shape)}; expected {Shape.Format(wantL)} and {Shape.Format(wantR)})");
        if (!LoraTargets.Targets(a.Config, module, !embedding))
            throw Bad(a, l.Name, $"adapts '{module}', which {AdapterConfig.FileName}'s target_modules does not select");
        int expected = LoraTargets.Rank(a.Config, module);
        if (expected != rank)
            throw Bad(a, l.Name, $"has rank {rank}, but {AdapterConfig.FileName} gives '{module}' rank {expected} (r or rank_pattern)");
        double alpha = LoraTargets.Alpha(a.Config, module), scale = LoraTargets.Scale(a.Config, rank, alpha);
        var u = new LowRank(weight, l, r, rank, (float)scale, rows, cols, Transposed: embedding);
        if (a.Config.Dora != (p.M != null))
            throw Bad(a, p.M?.Name ?? first + Magnitudes[0],
                a.Config.Dora ? "is missing (use_dora is true)" : "is there but use_dora is false");
        if (p.M != null)
        {
            if (embedding) throw Bad(a, p.M.Name, "is DoRA on an embedding, which is not merged");
            if (!Shape.Equal(p.M.Shape, [rows])) throw Bad(a, p.M.Name, $"has shape {Shape.Format(p.M.Shape)}, expected [{rows}]");
            u = u with { Gains = new Lazy<float[]>(() => DoraGains.Of(view, u, p.M)) };
        }
        var (tower, layer) = Where(hub);
        return (new LoraModule(hub, tower, layer, embedding ? "embedding" : "linear", rank, alpha, scale, p.M != null, false,
            l.Elements + r.Elements + (p.M?.Elements ?? 0)), u);
    }

    public static (Tower, int?) Where(string hub) =>
        (hub.StartsWith(HfNames.Vision, StringComparison.Ordinal) ? Tower.Vision
            : hub.StartsWith(HfNames.Decoder, StringComparison.Ordinal) ? Tower.Decoder : Tower.Projector,
            LoraTargets.Layer(hub + ".", null));

    private static Dictionary<string, TensorInfo> Replacements(LoraAdapter a, Dictionary<string, TensorInfo> saved,
        IReadOnlyDictionary<string, TensorView> views, List<LoraModule> modules)
    {
        var result = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var (key, t) in saved.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            string hub = KeySpelling.ToHub(key);
            if (!SavedModule(a.Config, key)) throw Bad(a, t.Name, "is neither a LoRA factor nor under a module of modules_to_save");
            if (!views.TryGetValue(hub, out var view)) throw Bad(a, t.Name, $"replaces '{key}', which the base model does not have");
            if (!Shape.Equal(t.Shape, view.OutputShape))
                throw Bad(a, t.Name, $"has shape {Shape.Format(t.Shape)}, but the base's '{hub}' is {Shape.Format(view.OutputShape)}");
            result[hub] = t;
            string module = hub[..hub.LastIndexOf('.')];
            var (tower, layer) = Where(hub);
            modules.Add(new LoraModule(module, tower, layer, "modules_to_save", 0, 0, 0, false, true, t.Elements));
        }
        foreach (var m in a.Config.ModulesToSave)
            if (!saved.Keys.Any(k => Under(k, m)))
                throw new BadInputException(a.Config.Path, $"{a.Config.Path}: modules_to_save names '{m}', but {LoraAdapter.WeightsName} " +
                    "holds none of its tensors", "modules_to_save");
        return result;
    }

    private static bool SavedModule(AdapterConfig c, string key) => c.ModulesToSave.Any(m => Under(key, m));

    /// <summary>Whether a tensor key lies under a module named <paramref name="m"/> (the name or a dotted suffix of a prefix).</summary>
    private static bool Under(string key, string m)
    {
        var parts = key.Split('.');
        for (int n = 1; n < parts.Length; n++)
        {
            string prefix = string.Join('.', parts[..n]);
            if (prefix == m || prefix.EndsWith("." + m, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>Every module of the base the config selects must have factors in the file.</summary>
    private static void Untouched(LoraAdapter a, IReadOnlyDictionary<string, TensorView> views, HashSet<string> adapted)
    {
        foreach (var (name, view) in views.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            if (!name.EndsWith(".weight", StringComparison.Ordinal)) continue;
            string hub = name[..^".weight".Length];
            bool embedding = Embeddings.Any(e => hub.EndsWith("." + e, StringComparison.Ordinal));
            bool linear = view.OutputShape.Length == 2 && !embedding;
            if (adapted.Contains(hub) || !LoraTargets.Targets(a.Config, a.Trained(hub), linear)) continue;
            if (view.OutputShape.Length != 2)
                throw new BadInputException(a.Config.Path, $"{a.Config.Path}: target_modules selects '{a.Trained(hub)}', which is not a " +
                    "Linear layer or an embedding (LoRA on a convolution or a norm is not merged)", "target_modules");
            throw new BadInputException(a.Weights.Path, $"{a.Weights.Path}: {AdapterConfig.FileName} targets '{a.Trained(hub)}', but " +
                "its lora_A and lora_B are missing", a.Trained(hub));
        }
    }
}
