using System.CommandLine;
using PaliConvert.Formats.Onnx;

namespace PaliConvert.Cli.Commands;

public static class CheckOnnxCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file (its external data beside it)" };
        var cmd = new Command("check-onnx",
            "Structural check of an ONNX model: versions, every input defined, initializer sizes, external data bounds and alignment. " +
                "Exit 0 if sound, 1 if not") { model };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var c = OnnxChecker.Check(r.GetValue(model)!);
            Console.Out.WriteLine($"{c.Path}: {c.Nodes} nodes, {c.Initializers} initializers, {c.ExternalBytes:N0} bytes of external data");
            foreach (var p in c.Problems) Console.Out.WriteLine($"  problem: {p}");
            Console.Out.WriteLine(c.Ok ? "ok" : $"{c.Problems.Count} problem(s)");
            return c.Ok ? ExitCodes.Ok : ExitCodes.Different;
        }));
        return cmd;
    }
}
