using System.CommandLine;
using PaliConvert.Analysis;
using PaliConvert.Models;

namespace PaliConvert.Cli.Commands;

public static class DiffCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "First checkpoint (.npz, .safetensors or HF folder)" };
        var b = new Argument<string>("b") { Description = "Second checkpoint, in the same naming (both big_vision or both HF)" };
        var all = new Option<bool>("--all") { Description = "List equal tensors too" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var cmd = new Command("diff", "Which tensors differ between two checkpoints, by how much, summarised by module. Exit 0 if all " +
            "equal, 1 if any differ") { a, b, all, json };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            using var ca = KeySpelling.Open(r.GetValue(a)!);
            using var cb = KeySpelling.Open(r.GetValue(b)!);
            var total = ca.Tensors.Count;
            int i = 0;
            var progress = new Progress();
            var report = DiffReport.Compare(ca, cb, new Progress<string>(n => progress.Report((n, (double)++i / total))));
            Progress.Clear();
            Console.Out.Write(r.GetValue(json) ? Json.Serialize(report) + "\n" : report.ToText(r.GetValue(all)));
            return report.Identical ? ExitCodes.Ok : ExitCodes.Different;
        }));
        return cmd;
    }
}
