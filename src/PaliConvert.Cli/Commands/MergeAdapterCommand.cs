using System.CommandLine;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class MergeAdapterCommand
{
    public static Command Create()
    {
        var baseModel = new Argument<string>("base") { Description = "Base model: Hugging Face folder or big_vision .npz" };
        var adapter = new Argument<string>("adapter") { Description = "PEFT LoRA adapter folder (adapter_config.json, " +
            "adapter_model.safetensors)" };
        var output = new Argument<string>("out") { Description = "Merged model: a Hugging Face folder, or a big_vision .npz when it " +
            "ends in .npz" };
        var dtype = new ChoiceOption<OutputDType>("--dtype", "keep (each base tensor's own), f32, bf16 or f16", "keep",
            ("keep", OutputDType.Keep), ("f32", OutputDType.F32), ("bf16", OutputDType.BF16), ("f16", OutputDType.F16));
        var shard = new Option<string>("--max-shard-size") { Description = "Largest shard, e.g. 2GB, 500MB, 123456 (bytes)",
            DefaultValueFactory = _ => "2GB" };
        var force = new Option<bool>("--force") { Description = "Replace an existing output" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files (for an .npz base or output)");
        var facts = new FactOptions();
        var json = JsonOption.ForOutput();
        var cmd = new Command("merge-adapter", "Merge a PEFT LoRA adapter (LoRA, rsLoRA, DoRA, modules_to_save) into its base as PEFT's " +
            "merge_and_unload does, in f32, rounded once, streamed in bounded memory") { baseModel, adapter, output, dtype.Option, shard,
                force, mappings, json };
        foreach (var option in facts.All) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var o = new MergeAdapterOptions(r.GetValue(baseModel)!, r.GetValue(adapter)!, r.GetValue(output)!, r.GetValue(mappings)!,
                dtype.Read(r), Sizes.Parse(r.GetValue(shard)!), r.GetValue(force), facts.Read(r));
            var target = MergeAdapter.Run(o, new Progress(), Run.Scope);
            Progress.Clear();
            JsonOption.Print(target, r.GetValue(json));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
