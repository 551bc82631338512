using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Parquet.Serialization;
using PaliConvert.Models;

namespace PaliConvert.Validation;

/// <summary>What verify found, and its three renderings: JSON (always), JUnit XML (pipelines), Parquet (analysis).</summary>
public sealed record VerifyReport(string Source, string Target, string Inputs, string Engine, ComparisonSummary Summary,
    List<PositionFigures> Positions, LogitTolerance Tolerance)
{
    /// <summary>Every fact of both model descriptions; empty when the target states none (an ONNX file from elsewhere).</summary>
    public List<FactDifference> Facts { get; init; } = [];
    /// <summary>Where each side's facts came from: source, target.</summary>
    public string[] FactsSources { get; init; } = [];
    public bool FactsAgree => Facts.All(f => f.Equal);
    /// <summary>The weights proof (null when it was not run); one that found no tensor it could compare proves nothing.</summary>
    public Weights.WeightsReport? Weights { get; init; }
    public bool WeightsProved => Weights is { Applicable: true, Passed: true };
    public bool WeightsFailed => Weights is { Applicable: true, Passed: false };
    /// <summary>The verdict: the descriptions agree, the weights are the source's, and the logits are within tolerance.</summary>
    public bool Passed => FactsAgree && !WeightsFailed && Summary.Passed && Generations.All(g => g.Passed);
    /// <summary>verify by generation (null when no image and prompt were given).</summary>
    public List<GenerationCheck> Generations { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToJUnit()
    {
        var cases = FactCase().Concat(WeightCases()).Concat(LogitCases()).Concat(GenerationCases()).ToList();
        var suite = new XElement("testsuite",
            new XAttribute("name", $"verify {Target} against {Source}"), new XAttribute("tests", cases.Count),
            new XAttribute("failures", cases.Count(c => c.Element("failure") != null)),
                new XAttribute("errors", 0),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "source"), new XAttribute("value", Source)),
                new XElement("property", new XAttribute("name", "target"), new XAttribute("value", Target)),
                new XElement("property", new XAttribute("name", "max_abs_diff"), new XAttribute("value", Summary.MaxAbsDiff)),
                new XElement("property", new XAttribute("name", "top1_agreement"), new XAttribute("value", Summary.Top1Agreement)),
                new XElement("property", new XAttribute("name", "mean_kl"), new XAttribute("value", Summary.MeanKl))),
            cases);
        return new XDocument(new XElement("testsuites", suite)).ToString();
    }

    /// <summary>The weights proof as one test case, failing with the tensors that differ.</summary>
    private IEnumerable<XElement> WeightCases()
    {
        if (Weights == null) yield break;
        var tc = new XElement("testcase", new XAttribute("classname", "paliconvert.verify.weights"), new XAttribute("name", "weights"));
        if (WeightsFailed)
            tc.Add(new XElement("failure", new XAttribute("message", Weights.Summary),
                string.Join("\n", Weights.Failures.Select(f => $"{f.Target}: {f.Describe()}"))));
        else if (!Weights.Applicable) tc.Add(new XElement("skipped", new XAttribute("message", WeightsNotProved)));
        yield return tc;
    }

    private const string WeightsNotProved = "weights not proved: no target tensor is named as the rules name the source's (an export " +
        "by another tool?); judged by the logits alone";

    /// <summary>Whether the models were run (a weights-only verify compares facts and weights).</summary>
    public bool LogitsCompared => Positions.Count > 0;

    private string Rounded => Tolerance.Expected switch
    {
        Rounding.Exact => "",
        Rounding.Merged => " with the adapter merged",
        var r => $" {r.Label()}-rounded",
    };

    /// <summary>The weights step in text: the summary, then each tensor that differs in both spellings.</summary>
    private string WeightsText()
    {
        if (Weights == null) return "";
        if (!Weights.Applicable) return WeightsNotProved + "\n";
        var lines = Weights.Failures.Take(20).Select(f => $"  DIFF  {f.Target}{(f.Source is { } s ? $" ({s})" : "")}: {f.Describe()}");
        int more = Weights.Failures.Count() - 20;
        return Weights.Summary + "\n" + string.Join("", lines.Select(l => l + "\n")) + (more > 0 ? $"  ... and {more} more\n" : "");
    }

    private IEnumerable<XElement> GenerationCases()
    {
        foreach (var g in Generations)
        {
            var tc = new XElement("testcase", new XAttribute("classname", "paliconvert.verify.generation"),
                new XAttribute("name", $"{Path.GetFileName(g.Image)}: {g.Prompt}"));
            if (!g.Passed) tc.Add(new XElement("failure", new XAttribute("message", "the target does not say what the source says"),
                g.ToText()));
            else tc.Add(new XElement("system-out", g.ToText()));
            yield return tc;
        }
    }

    /// <summary>A test case for each quantization bound stated (top-1 agreement, mean KL).</summary>
    private static XElement Case(string classname, string name, string? failure, string? detail = null)
    {
        var tc = new XElement("testcase", new XAttribute("classname", classname), new XAttribute("name", name));
        if (failure != null) tc.Add(new XElement("failure", new XAttribute("message", failure), detail ?? ""));
        return tc;
    }

    /// <summary>Every fact in one case, failing with those that differ.</summary>
    private IEnumerable<XElement> FactCase()
    {
        var differ = Facts.Where(f => !f.Equal).ToList();
        yield return Case("paliconvert.verify.facts", "facts", differ.Count == 0 ? null : $"{differ.Count} of {Facts.Count} facts differ",
            string.Join("\n", differ.Select(f => $"{f.Fact}: source {f.Source}, target {f.Target}")));
    }

    /// <summary>The logits in one case (every position within the tolerance, and its aggregates), failing with the worst.</summary>
    private IEnumerable<XElement> LogitCases()
    {
        if (!LogitsCompared) yield break;
        var failing = Positions.Where(Tolerance.Fails).ToList();
        var problems = new List<string>();
        if (failing.Count > 0) problems.Add($"{failing.Count} of {Positions.Count} positions exceed atol {Tolerance.AppliedAtol:G4}");
        if (Tolerance.MinTop1 is { } t && Summary.Top1Agreement < t) problems.Add($"top-1 agreement {Summary.Top1Agreement:P1} < {t:P1}");
        if (Tolerance.MaxKl is { } k && Summary.MeanKl > k) problems.Add($"mean KL {Summary.MeanKl:G4} > {k:G4}");
        yield return Case("paliconvert.verify.logits", "logits", problems.Count == 0 ? null : string.Join("; ", problems),
            string.Join("\n", failing.OrderByDescending(p => p.MaxAbsDiff).Take(10).Select(p => $"batch {p.Batch} position " +
                $"{p.Position}: max |source - target| {p.MaxAbsDiff:G4}, cosine {p.Cosine:G6}, top-1 {p.Top1Source} vs {p.Top1Target}, " +
                $"KL {p.KlDivergence:G4}")));
    }

    /// <summary>Per-position figures as rows; the facts of both sides as the file's key/value metadata.</summary>
    public async Task WriteParquet(Stream output)
    {
        var meta = Facts.SelectMany(f => new[] { ($"source.{f.Fact}", f.Source), ($"target.{f.Fact}", f.Target) })
            .ToDictionary(x => x.Item1, x => x.Item2);
        if (Weights != null)
        {
            meta["weights.summary"] = Weights.Applicable ? Weights.Summary : WeightsNotProved;
            meta["weights.passed"] = WeightsProved ? "true" : "false";
        }
        for (int i = 0; i < Generations.Count; i++)
        {
            var g = Generations[i];
            (meta[$"generation.{i}.prompt"], meta[$"generation.{i}.source_text"], meta[$"generation.{i}.target_text"],
                meta[$"generation.{i}.passed"]) = (g.Prompt, g.SourceText, g.TargetText, g.Passed ? "true" : "false");
        }
        await ParquetSerializer.SerializeAsync(Positions, output, null, meta);
    }

    public string ToText()
    {
        var s = Summary;
        int width = Facts.Select(f => f.Fact.Length).DefaultIfEmpty(0).Max();
        var lines = Facts.Select(f => f.Equal ? $"  same  {f.Fact.PadRight(width)}  {f.Source}"
            : $"  DIFF  {f.Fact}: source {f.Source}, target {f.Target}");
        string facts = Facts.Count == 0 ? "facts: the target states none; logits compared alone\n"
            : $"facts: {Facts.Count(f => !f.Equal)} of {Facts.Count} differ (source: {FactsSources.ElementAtOrDefault(0)}; target: " +
                $"{FactsSources.ElementAtOrDefault(1)})\n"
              + string.Join("\n", lines) + "\n";
        string verdict = !FactsAgree ? "FAIL: the two models are described differently, so their consumers compute different things"
            : WeightsFailed ? "FAIL: the target's weights are not the source's as the rules and the target's encoding make them"
            : !s.Passed ? "FAIL: the target's logits differ from the source's"
            : Generations.Any(g => !g.Passed) ? "FAIL: the target does not say what the source says"
            : !LogitsCompared && WeightsProved ? $"PASS: the weights are the source's{Rounded} (logits not compared)"
            : !LogitsCompared ? "PASS: the descriptions agree (weights not proved, logits not compared)"
            : WeightsProved ? $"PASS: the weights are the source's{Rounded} and the target computes what the source does"
            : "PASS: the target computes what the source does (by its logits alone)";
        if (!LogitsCompared) return facts + WeightsText() + $"source: {Source}\ntarget: {Target}\n{verdict}\n";
        return facts + WeightsText() + $"""
            source: {Source}
            target: {Target} ({Engine})
            inputs: {Inputs}
            {s.Positions} positions over {s.SharedVocab} shared vocabulary entries
            max |source - target|  {s.MaxAbsDiff:G4}
            max relative diff      {s.MaxRelDiff:G4}
            min cosine             {s.MinCosine:G8}
            top-1 agreement        {s.Top1Agreement:P1}
            mean top-5 overlap     {s.MeanTop5Overlap:P1}
            KL(source || target)   mean {s.MeanKl:G4}, max {s.MaxKl:G4} nats
            tolerance              {s.Tolerance}
            {string.Concat(Generations.Select(g => g.ToText()))}{verdict}

            """;
    }
}
