using System.CommandLine;
using PaliConvert.Models;

namespace PaliConvert.Cli;

/// <summary>Byte sizes as users write them: 2GB, 500MB, 123456.</summary>
public static class Sizes
{
    /// <summary>A size as transformers' max_shard_size takes it: bytes, or KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (1024).</summary>
    public static long Parse(string text, string option = "--max-shard-size")
    {
        string s = text.Trim().ToUpperInvariant();
        (string suffix, long mult)[] units =
        [
            ("TIB", 1L << 40), ("GIB", 1L << 30), ("MIB", 1L << 20), ("KIB", 1L << 10),
            ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1),
        ];
        var (number, unit) = units.Where(u => s.EndsWith(u.suffix, StringComparison.Ordinal)).Select(u => (s[..^u.suffix.Length].Trim(),
            u.mult)).FirstOrDefault((s, 1L));
        if (!long.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || n <= 0)
            throw new UsageException(option, $"{option} '{text}' is not a size (e.g. 2GB, 2GiB, 500MB, 123456 for bytes)");
        return n <= long.MaxValue / unit ? n * unit : throw new UsageException(option, $"{option} '{text}' is too large");
    }
}

public static class MappingsFolder
{
    /// <summary>The --mappings option every converting command takes.</summary>
    public static Option<string> Option(string description)
        => new("--mappings") { Description = description, DefaultValueFactory = _ => Default() };

    /// <summary>mappings/ beside the tool (published with it), else the repository's, found upwards from here.</summary>
    public static string Default()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null)
        {
            var m = Path.Combine(d.FullName, "mappings");
            if (File.Exists(Path.Combine(m, "paligemma.yaml"))) return m;
            d = d.Parent;
        }
        return Path.Combine(AppContext.BaseDirectory, "mappings");
    }
}

/// <summary>The facts a user may state for a checkpoint that does not hold them (jax2hf, logits, verify, export-onnx).</summary>
public sealed class FactOptions
{
    private readonly Option<double?> _query = new("--query-pre-attn-scalar")
    {
        Description = "Gemma 2 queries are scaled by X^-0.5 (default: the release table's value, else head_dim as big_vision's default)",
    };
    private readonly Option<double?> _attn = new("--attn-softcap") { Description = "Gemma 2 attention logit softcap, 0 for none " +
        "(default 50)" };
    private readonly Option<double?> _final = new("--final-softcap") { Description = "Gemma 2 final logit softcap for config.json, 0 " +
        "for none (default 30)" };
    private readonly Option<string?> _config = new("--config")
    {
        Description = "An HF config.json (e.g. the base model's) whose non-shape facts (norm eps, RoPE theta, activations, query " +
            "scaling, softcaps, sliding window) are taken",
    };

    public const string Hint = "state them with --config FILE, --query-pre-attn-scalar, --attn-softcap or --final-softcap";

    public IEnumerable<Option> All => [_query, _attn, _final, _config];

    public StatedFacts Read(ParseResult r) => new(r.GetValue(_query), r.GetValue(_attn), r.GetValue(_final), r.GetValue(_config));
}

/// <summary>An option whose value is one of a fixed set of names, each standing for a value of T.</summary>
public sealed class ChoiceOption<T>
{
    private readonly IReadOnlyDictionary<string, T> _values;

    public Option<string> Option { get; }

    /// <summary>Other spellings of the dtype names, so every command takes the vocabulary any of them uses.</summary>
    private static readonly Dictionary<string, string[]> Aliases = new()
    {
        ["f32"] = ["fp32", "float32"], ["fp32"] = ["f32", "float32"], ["f16"] = ["fp16", "float16"], ["fp16"] = ["f16", "float16"],
        ["bf16"] = ["bfloat16"],
    };

    public ChoiceOption(string name, string description, string fallback, params (string name, T value)[] values)
    {
        var named = values.Select(v => v.name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        values = [.. values, .. values.SelectMany(v => Aliases.GetValueOrDefault(v.name, []).Where(named.Add).Select(a => (a, v.value)))];
        _values = values.ToDictionary(v => v.name, v => v.value, StringComparer.OrdinalIgnoreCase);
        Option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => fallback };
        Option.AcceptOnlyFromAmong(values.Select(v => v.name).ToArray());
    }

    public T Read(ParseResult r) => _values[r.GetValue(Option)!];
}

/// <summary>The --dtype of ONNX weights, by transformers.js's names (f32 and f16 as the other commands spell them).</summary>
public static class OnnxDTypeOption
{
    private static (string, T)[] Names<T>(Func<Export.OnnxDType, T> of) =>
        [.. Export.OnnxDTypes.All.Select(d => (Export.OnnxDTypes.Name(d), of(d))), ("f32", of(Export.OnnxDType.Fp32)),
            ("f16", of(Export.OnnxDType.Fp16))];

    public static ChoiceOption<Export.OnnxDType> ForExport() => new("--dtype",
        "Weights: fp32 (f32); fp16 (f16, cast to f32 at use); q8 (8-bit per channel, dynamic quantization: MatMulInteger); " +
            "q4 (4-bit blocks, MatMulNBits); q4f16 (q4 with f16 scales and matmul inputs, other floats f16). The split layout names " +
            "the files with transformers.js's suffixes, so one folder holds several", "fp32", Names(d => d));

    /// <summary>Which variant of a split folder to run; auto: fp32, or the only one.</summary>
    public static ChoiceOption<Export.OnnxDType?> ForRun(string what) => new("--dtype", $"{what}: the variant of a split folder to " +
        "run (fp32, fp16, q8, q4, q4f16); auto takes fp32, or the only one", "auto",
        [("auto", null), .. Names<Export.OnnxDType?>(d => d)]);
}

/// <summary>The --tokenizer option of the commands that write a folder a processor loads, and the note when there is none.</summary>
public static class TokenizerOption
{
    public static Option<string?> Create() => new("--tokenizer")
    {
        Description = "The SentencePiece model (e.g. big_vision's paligemma_tokenizer.model): writes tokenizer.model, tokenizer.json, " +
            "tokenizer_config.json, special_tokens_map.json and preprocessor_config.json",
    };

    public static void NoteIfMissing(string folder)
    {
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            Console.Error.WriteLine($"note: {folder} has no tokenizer or processor files, so AutoProcessor cannot load it; " +
                "pass --tokenizer paligemma_tokenizer.model");
    }
}

public static class AdapterOption
{
    /// <summary>The --adapter option: a PEFT LoRA adapter folder applied to <paramref name="what"/>.</summary>
    public static Option<string?> Create(string what) => new("--adapter")
    {
        Description = $"PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) merged into {what}",
    };

    public static Inference.AdapterInput? Input(string? folder, string mappings) =>
        folder == null ? null : new Inference.AdapterInput(folder, mappings);
}

public static class JsonOption
{
    public static Option<bool> ForOutput() => new("--json")
    {
        Description = "Print one JSON object describing what was written (tensors, bytes, files, dtypes, source fingerprint, " +
            "variants) instead of its path",
    };

    /// <summary>The output's path, or with --json its summary.</summary>
    public static void Print(string target, bool json) =>
        Console.Out.WriteLine(json ? Json.Serialize(Pipeline.WrittenModel.Of(target)) : target);
}
