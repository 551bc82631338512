using System.CommandLine;
using PaliConvert.Synth;

namespace PaliConvert.Cli.Commands;

public static class SynthCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("out") { Description = "The .npz to write" };
        var variant = new Option<string>("--variant") { Description = $"Model and resolution: {string.Join(", ", SynthVariant.Known)}",
            Required = true };
        var dtype = new ChoiceOption<SynthDType>("--dtype", "mixed (attention f32, rest f16), f32, f16 or bf16", "mixed",
            ("mixed", SynthDType.Mixed), ("f32", SynthDType.F32), ("f16", SynthDType.F16), ("bf16", SynthDType.BF16));
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 0UL };
        var force = new Option<bool>("--force") { Description = "Replace an existing output file" };
        var cmd = new Command("synth", "Write a random full-size big_vision checkpoint with the real names and shapes, in bounded memory")
        {
            output, variant, dtype.Option, seed, force,
        };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var written = Pipeline.SynthCheckpoint.Run(r.GetValue(output)!, r.GetValue(variant)!, dtype.Read(r), r.GetValue(seed),
                r.GetValue(force), new Progress(), Run.Scope);
            Progress.Clear();
            Console.Out.WriteLine(written);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
