using System.CommandLine;
using PaliConvert.Analysis;
using PaliConvert.Models;

namespace PaliConvert.Cli.Commands;

public static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A big_vision .npz, a .safetensors file, a Hugging Face folder, a " +
            "model.onnx, a split hub folder or a PEFT adapter folder" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var cmd = new Command("inspect",
            "Show what a checkpoint holds: architecture, layer counts, parameters per module, the tensor tree and dtypes; for an ONNX " +
                "export, its variants, sizes, facts and the source fingerprint of each graph") { path, json };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            if (Adapters.AdapterDescription.Applies(r.GetValue(path)!))
            {
                using var adapter = Adapters.LoraAdapter.Open(r.GetValue(path)!);
                var d = Adapters.AdapterDescription.Of(adapter);
                Console.Out.Write(r.GetValue(json) ? Json.Serialize(d) + "\n" : d.ToText());
                return ExitCodes.Ok;
            }
            if (Pipeline.ExportInspection.Applies(r.GetValue(path)!))
            {
                var export = Pipeline.ExportInspection.Of(r.GetValue(path)!);
                Console.Out.Write(r.GetValue(json) ? Json.Serialize(export) + "\n" : export.ToText());
                return ExitCodes.Ok;
            }
            using var ck = KeySpelling.Open(r.GetValue(path)!);
            var report = Inspection.Of(ck, Run.Scope);
            Console.Out.Write(r.GetValue(json) ? Json.Serialize(report) + "\n" : report.ToText());
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
