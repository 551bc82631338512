using System.CommandLine;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class Hf2JaxCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "Hugging Face PaliGemma folder (config.json and safetensors, single or " +
            "sharded)" };
        var output = new Argument<string>("out") { Description = "big_vision .npz to write (written beside, renamed when complete)" };
        var dtype = new ChoiceOption<OutputDType>("--dtype",
            "keep (each tensor's own), f32, bf16 (saved as <V2, as big_vision does) or f16", "keep",
            ("keep", OutputDType.Keep), ("f32", OutputDType.F32), ("bf16", OutputDType.BF16), ("f16", OutputDType.F16));
        var prefix = new Option<string>("--prefix") { Description = "Prefix for every member name, e.g. params/ as released checkpoints " +
            "have", DefaultValueFactory = _ => "" };
        var force = new Option<bool>("--force") { Description = "Replace an existing output file" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files (run backwards)");
        var json = JsonOption.ForOutput();
        var adapter = AdapterOption.Create("the input as it is converted");
        var cmd = new Command("hf2jax",
            "Convert a Hugging Face PaliGemma folder back to a big_vision .npz, from the same rules run backwards") { input, output,
                dtype.Option, prefix, force, mappings, adapter, json };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var target = Hf2Jax.Run(new Hf2JaxOptions(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(mappings)!, dtype.Read(r),
                r.GetValue(prefix)!, r.GetValue(force)) { Adapter = r.GetValue(adapter) }, new Progress(), Run.Scope);
            Progress.Clear();
            JsonOption.Print(target, r.GetValue(json));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
