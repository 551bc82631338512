using System.CommandLine;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class Jax2HfCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "big_vision checkpoint (.npz)" };
        var output = new Argument<string>("out") { Description = "Hugging Face folder to create (written beside, renamed when complete)" };
        var dtype = new ChoiceOption<OutputDType>("--dtype",
            "auto (widest float in the source), keep (each tensor's own), f32, bf16 or f16", "auto",
            ("auto", OutputDType.Auto), ("keep", OutputDType.Keep), ("f32", OutputDType.F32), ("bf16", OutputDType.BF16),
                ("f16", OutputDType.F16));
        var shard = new Option<string>("--max-shard-size") { Description = "Largest shard, e.g. 2GB, 500MB, 123456 (bytes)",
            DefaultValueFactory = _ => "2GB" };
        var noPad = new Option<bool>("--no-pad-vocab") { Description = "Keep the vocabulary as it is instead of appending <image> and " +
            "padding to a multiple of 64" };
        var force = new Option<bool>("--force")
        {
            Description = "Replace an existing non-empty output folder (and existing --verify report files)",
        };
        var mappings = MappingsFolder.Option("Folder of mapping rule files");
        var facts = new FactOptions();
        var tokenizer = TokenizerOption.Create();
        var verify = new Option<bool>("--verify") { Description = "After converting, run both models and compare their logits (exit 1 " +
            "on mismatch)" };
        var check = new VerifyCommand.VerifyOptionSet();
        var json = JsonOption.ForOutput();
        var adapter = AdapterOption.Create("the input as it is converted");
        var cmd = new Command("jax2hf", "Convert a big_vision .npz to a Hugging Face folder (sharded safetensors, index, config.json)")
            { input, output, dtype.Option, shard, noPad, force, mappings, verify, tokenizer, adapter, json };
        foreach (var option in check.All.Concat(facts.All)) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var o = new Jax2HfOptions(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(mappings)!, dtype.Read(r),
                Sizes.Parse(r.GetValue(shard)!), !r.GetValue(noPad), r.GetValue(force), facts.Read(r), r.GetValue(tokenizer))
                { Adapter = r.GetValue(adapter) };
            string Convert()
            {
                var target = Jax2Hf.Run(o, new Progress(), Run.Scope);
                Progress.Clear();
                JsonOption.Print(target, r.GetValue(json));
                TokenizerOption.NoteIfMissing(target);
                return target;
            }
            if (!r.GetValue(verify))
            {
                Convert();
                return ExitCodes.Ok;
            }
            // a converted f16/bf16 model differs from its source by its rounding: the tolerance is the user's to set
            var v = new VerifyOptions(o.Input, o.Output, r.GetValue(check.Inputs), r.GetValue(check.MaskKey)!, check.Tolerance(r),
                r.GetValue(check.Seed),
                MappingsFolder: o.MappingsFolder, Stated: o.Stated) { Adapter = o.Adapter };
            return VerifyCommand.Execute(v, check.Paths(r, r.GetValue(force)), Convert); // converted beside the source's pass
        }));
        return cmd;
    }
}
