using System.CommandLine;
using PaliConvert.Analysis;
using PaliConvert.IO;
using PaliConvert.Models;
using PaliConvert.Validation.Diff;

namespace PaliConvert.Cli.Commands;

public static class DiffCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "First checkpoint (.npz, .safetensors, HF folder, or an f32 ONNX export)" };
        var b = new Argument<string>("b") { Description = "Second checkpoint, in any of those formats: across formats the rules " +
            "map both onto Hugging Face names" };
        var all = new Option<bool>("--all") { Description = "List equal tensors too" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var atol = new Option<double>("--atol") { Description = "Values within atol + rtol * |a| count as equal (to look past a " +
            "dtype's rounding; compares through the rules)", DefaultValueFactory = _ => 0 };
        var rtol = new Option<double>("--rtol") { Description = "See --atol", DefaultValueFactory = _ => 0 };
        var plot = new Option<string?>("--plot") { Description = "Write an SVG of tensor kinds by layer, coloured by relative change" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --plot file" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files (across formats)");
        var adapter = AdapterOption.Create("B: 'diff BASE BASE --adapter DIR' shows how large each update is (||B'-B|| / ||B||) by " +
            "layer and module");
        var cmd = new Command("diff", "Which tensors differ between two checkpoints, by how much (max |a-b| and ||b-a|| / ||a||), " +
            "summarised by module; across formats through the mapping rules. Exit 0 if all equal, 1 if any differ")
            { a, b, all, json, atol, rtol, plot, force, mappings, adapter };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            string pa = r.GetValue(a)!, pb = r.GetValue(b)!;
            var tol = new DiffTolerance(Finite(r.GetValue(atol), "--atol"), Finite(r.GetValue(rtol), "--rtol"));
            using var claimed = r.GetValue(plot) is { } p ? AtomicOutput.ForFile(Run.Scope, p, r.GetValue(force), pa, pb) : null;
            var progress = new Progress();
            var lora = r.GetValue(adapter);
            var report = FormatDiff.Needed(pa, pb) || tol.Atol > 0 || tol.Rtol > 0 || lora != null
                ? FormatDiff.Compare(pa, pb, r.GetValue(mappings)!, tol, new Progress<string>(n => progress.Report((n, 0.5))),
                    Run.Scope, lora)
                : SameFormat(pa, pb, progress);
            Progress.Clear();
            if (claimed != null)
            {
                claimed.Writing(() => File.WriteAllText(claimed.TempPath, DiffPlot.Svg(report)));
                claimed.Commit();
            }
            Console.Out.Write(r.GetValue(json) ? Json.Serialize(report) + "\n" : report.ToText(r.GetValue(all)));
            return report.Identical ? ExitCodes.Ok : ExitCodes.Different;
        }));
        return cmd;
    }

    private static DiffReport SameFormat(string pa, string pb, Progress progress)
    {
        using var ca = KeySpelling.Open(pa);
        using var cb = KeySpelling.Open(pb);
        int i = 0, total = ca.Tensors.Count;
        return DiffReport.Compare(ca, cb, new Progress<string>(n => progress.Report((n, (double)++i / total))));
    }

    private static double Finite(double v, string option) => double.IsFinite(v) && v >= 0 ? v
        : throw new UsageException(option, $"{option} {v} is not a finite number of at least 0");
}
