using System.CommandLine;
using PaliConvert.Formats.Onnx;

namespace PaliConvert.Cli.Commands;

public static class CheckOnnxCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file (its external data beside it), or a split hub folder" };
        var cmd = new Command("check-onnx",
            "Structural check of an ONNX model: versions, every input defined, initializer sizes, external data bounds and alignment; " +
                "of a hub folder, every graph of every variant and that the variants share one source. Exit 0 if sound, 1 if " +
                    "not") { model };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var (graphs, shared) = Pipeline.HubFolder.Check(r.GetValue(model)!);
            foreach (var c in graphs)
            {
                Console.Out.WriteLine($"{c.Path}: {c.Nodes} nodes, {c.Initializers} initializers, {c.ExternalBytes:N0} bytes of external " +
                    "data");
                foreach (var p in c.Problems) Console.Out.WriteLine($"  problem: {p}");
            }
            foreach (var p in shared) Console.Out.WriteLine($"problem: {p}");
            int problems = graphs.Sum(c => c.Problems.Count) + shared.Count;
            Console.Out.WriteLine(problems == 0 ? "ok" : $"{problems} problem(s)");
            return problems == 0 ? ExitCodes.Ok : ExitCodes.Different;
        }));
        return cmd;
    }
}
