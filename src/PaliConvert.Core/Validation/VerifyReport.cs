using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Parquet.Serialization;

namespace PaliConvert.Validation;

/// <summary>What verify found, and its three renderings: JSON (always), JUnit XML (pipelines), Parquet (analysis).</summary>
public sealed record VerifyReport(string Source, string Target, string Inputs, string Engine, ComparisonSummary Summary, List<PositionFigures> Positions)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToJUnit()
    {
        var cases = Positions.Select(p =>
        {
            var tc = new XElement("testcase", new XAttribute("classname", "paliconvert.verify"), new XAttribute("name", $"batch {p.Batch} position {p.Position}"));
            if (p.MaxAbsDiff > Summary.Atol)
                tc.Add(new XElement("failure", new XAttribute("message", $"max |source - target| = {p.MaxAbsDiff:G4} > atol {Summary.Atol:G4}"),
                    $"cosine {p.Cosine:G6}, top-1 {p.Top1Source} vs {p.Top1Target}, top-5 overlap {p.Top5Overlap:P0}"));
            return tc;
        }).ToList();
        var suite = new XElement("testsuite",
            new XAttribute("name", $"verify {Target} against {Source}"), new XAttribute("tests", cases.Count),
            new XAttribute("failures", Positions.Count(p => p.MaxAbsDiff > Summary.Atol)), new XAttribute("errors", 0),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "source"), new XAttribute("value", Source)),
                new XElement("property", new XAttribute("name", "target"), new XAttribute("value", Target)),
                new XElement("property", new XAttribute("name", "max_abs_diff"), new XAttribute("value", Summary.MaxAbsDiff)),
                new XElement("property", new XAttribute("name", "top1_agreement"), new XAttribute("value", Summary.Top1Agreement))),
            cases);
        return new XDocument(new XElement("testsuites", suite)).ToString();
    }

    public async Task WriteParquet(Stream output) => await ParquetSerializer.SerializeAsync(Positions, output);

    public string ToText()
    {
        var s = Summary;
        return $"""
            source: {Source}
            target: {Target} ({Engine})
            inputs: {Inputs}
            {s.Positions} positions over {s.SharedVocab} shared vocabulary entries
            max |source - target|  {s.MaxAbsDiff:G4}   (atol {s.Atol:G4})
            max relative diff      {s.MaxRelDiff:G4}
            min cosine             {s.MinCosine:G8}
            top-1 agreement        {s.Top1Agreement:P1}
            mean top-5 overlap     {s.MeanTop5Overlap:P1}
            {(s.Passed ? "PASS: the target computes what the source does" : "FAIL: the target's logits differ from the source's")}

            """;
    }
}
