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
        var variant = new Option<string?>("--variant")
        {
            Description = "Describe a release variant (pg1-3b-224, pg2-10b-448, ...) from its shapes, without its file",
        };
        path.Arity = ArgumentArity.ZeroOrOne;
        var cmd = new Command("inspect",
            "Show what a checkpoint holds: architecture, layer counts, parameters per module, the tensor tree and dtypes; for an ONNX " +
                "export, its variants, sizes, facts and the source fingerprint of each graph") { path, json, variant };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            if (r.GetValue(variant) is { } v)
            {
                using var shapes = new Synth.VariantCheckpoint(v);
                var described = Inspection.Of(shapes, Run.Scope);
                Console.Out.Write(r.GetValue(json) ? Json.Serialize(described) + "\n" : described.ToText());
                return ExitCodes.Ok;
            }
            if (r.GetValue(path) == null) throw new UsageException("path", "give a checkpoint to inspect, or --variant NAME");
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
