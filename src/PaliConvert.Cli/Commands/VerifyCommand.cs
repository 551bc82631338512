using System.CommandLine;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class VerifyCommand
{

    /// <summary>The options verify shares with jax2hf --verify: inputs, tolerance and reports.</summary>
    public sealed class VerifyOptionSet
    {
        public Option<double?> Atol { get; } = new("--atol") { Description = "Largest allowed |source - target| of any logit " +
            "(default: 1e-4 for an exact target; a target whose weights are proved rounded (f16, bf16, q8, q4) gets its rounding's " +
            "mean-KL bound instead, unless --min-top1 or --max-kl is given)" };
        public Option<double?> MinTop1 { get; } = new("--min-top1") { Description = "For a quantized target: the least share of " +
            "positions whose top token agrees, e.g. 0.9" };
        public Option<double?> MaxKl { get; } = new("--max-kl") { Description = "For a quantized target: the largest mean KL " +
            "divergence (nats) of the next-token distributions" };
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the random inputs used without --inputs",
            DefaultValueFactory = _ => 0 };
        public Option<string?> Inputs { get; } = new("--inputs")
        {
            Description = "Inputs .npz (image_nhwc, text, mask); default: a seeded random image and text with a prefix and a suffix",
        };
        public Option<string> MaskKey { get; } = new("--mask-key") { Description = "Name of the mask_ar array in the inputs",
            DefaultValueFactory = _ => "mask_ar" };
        public Option<string?> Report { get; } = new("--report") { Description = "Write the JSON report here ('-': on stdout, in place " +
            "of the text)" };
        public Option<string?> JUnit { get; } = new("--junit")
        {
            Description = "Write a JUnit XML report here, for pipelines ('-': on stdout)",
        };
        public Option<string?> Parquet { get; } = new("--parquet") { Description = "Write per-position figures as Parquet here, for " +
            "pandas or DuckDB" };

        public IEnumerable<Option> All => [Inputs, MaskKey, Atol, MinTop1, MaxKl, Seed, Report, JUnit, Parquet];

        public Validation.LogitTolerance Tolerance(ParseResult r)
        {
            var t = new Validation.LogitTolerance(r.GetValue(Atol), r.GetValue(MinTop1), r.GetValue(MaxKl));
            if (t.MinTop1 is < 0 or > 1) throw new UsageException("--min-top1", $"--min-top1 {t.MinTop1} is not a share between 0 and 1");
            if (t.Atol is < 0 || t.MaxKl is < 0) throw new UsageException("--atol", "--atol and --max-kl cannot be negative");
            return t;
        }

        public ReportPaths Paths(ParseResult r, bool force) => new(r.GetValue(Report), r.GetValue(JUnit), r.GetValue(Parquet), force);
    }

    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "The original model (.npz or Hugging Face folder)" };
        var target = new Argument<string>("target") { Description = "The converted model (.npz, Hugging Face folder, model.onnx, or a " +
            "split hub folder)" };
        var set = new VerifyOptionSet();
        var engine = new ChoiceOption<VerifyEngine>("--engine",
            "How the target runs: reference (the C# forward pass) or onnx (exported, then run in ONNX Runtime). An .onnx target always " +
                "runs in ONNX Runtime",
            "reference", ("reference", VerifyEngine.Reference), ("onnx", VerifyEngine.Onnx));
        var mappings = MappingsFolder.Option("Folder of mapping rule files (for the weights proof, and to export an .npz target)");
        var dtype = OnnxDTypeOption.ForRun("With --engine onnx, the target's weights (a checkpoint is exported so)");
        var facts = new FactOptions();
        var force = new Option<bool>("--force") { Description = "Replace existing report files" };
        var image = new Option<string?>("--image") { Description = "With --prompt: both models generate from this image, and must " +
            "say the same (exact target) or predict each of the source's tokens within tolerance (rounded target)" };
        var prompt = new Option<string?>("--prompt") { Description = "The prompt for --image, e.g. 'caption en'" };
        var maxNew = new Option<int>("--max-new-tokens")
        {
            Description = "New tokens generated for --image", DefaultValueFactory = _ => 16,
        };
        var tokenizer = new Option<string?>("--tokenizer")
        {
            Description = "SentencePiece model for --prompt (default: either side's own)",
        };
        var prompts = new Option<string?>("--prompts") { Description = "A file of 'IMAGE<tab>PROMPT' lines (images relative to it): " +
            "each pair generated and compared as --image and --prompt" };
        var weightsOnly = new Option<bool>("--weights-only") { Description = "Compare the descriptions and prove the weights, without " +
            "running the models (seconds, where the logits take minutes on a large model)" };
        var adapter = AdapterOption.Create("the SOURCE: the original is base + adapter, the target a merge made here or elsewhere");
        var cmd = new Command("verify",
            "Compare the two models' descriptions (every fact a consumer reads), prove every target tensor is the source's through the " +
                "mapping rules and the target's encoding (bit for bit), then run both on the same inputs and compare their logits " +
                "(atol for an exact target; for a rounded one, the bound its encoding implies). " +
            "Exit 0 when both agree, 1 on a mismatch, 2 on unusable input") { source, target, engine.Option, dtype.Option, mappings,
                force, weightsOnly, image, prompt, prompts, maxNew, tokenizer, adapter };
        foreach (var option in set.All.Concat(facts.All)) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var o = new VerifyOptions(r.GetValue(source)!, r.GetValue(target)!, r.GetValue(set.Inputs), r.GetValue(set.MaskKey)!,
                set.Tolerance(r), r.GetValue(set.Seed), engine.Read(r), r.GetValue(mappings), facts.Read(r), dtype.Read(r),
                CompareLogits: !r.GetValue(weightsOnly), Generations: Generations(r.GetValue(image), r.GetValue(prompt),
                    r.GetValue(prompts), r.GetValue(maxNew), r.GetValue(tokenizer))) { Adapter = r.GetValue(adapter) };
            return Execute(o, set.Paths(r, r.GetValue(force)));
        }));
        return cmd;
    }

    private static List<GenerationInput> Generations(string? image, string? prompt, string? file, int maxNew, string? tokenizer)
    {
        if ((image == null) != (prompt == null))
            throw new UsageException("--image", "--image and --prompt go together: the models generate from the image and the prompt");
        var pairs = image != null ? [(image, prompt!)] : new List<(string, string)>();
        if (file != null) pairs.AddRange(GenerationInput.ReadPairs(file));
        return [.. pairs.Select(p => new GenerationInput(p.Item1, p.Item2, maxNew, tokenizer))];
    }

    /// <summary>
    /// Runs verify (with <paramref name="makeTarget"/>, the conversion that makes the target, beside the source's pass);
    /// a report path of '-' prints that report on stdout in place of the text.
    /// </summary>
    public static int Execute(VerifyOptions o, ReportPaths paths, Func<string>? makeTarget = null)
    {
        bool json = paths.Json == "-", junit = paths.JUnit == "-";
        if (paths.Parquet == "-") throw new UsageException("parquet", "Parquet is binary: give --parquet a file, not '-'");
        var report = VerifyReports.Run(o, paths with { Json = json ? null : paths.Json, JUnit = junit ? null : paths.JUnit },
            new Progress(), Run.Scope, makeTarget);
        Progress.Clear();
        Console.Out.Write(json ? report.ToJson() + "\n" : junit ? report.ToJUnit() + "\n" : report.ToText());
        return report.Passed ? ExitCodes.Ok : ExitCodes.Different;
    }
}
