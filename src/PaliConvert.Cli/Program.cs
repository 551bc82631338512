using System.CommandLine;
using PaliConvert.Cli;
using PaliConvert.Cli.Commands;

var root = new RootCommand("PaliConvert: move PaliGemma checkpoints between big_vision .npz, Hugging Face safetensors and ONNX, and " +
    "prove the conversion.");
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(DiffCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(Jax2HfCommand.Create());
root.Subcommands.Add(Hf2JaxCommand.Create());
root.Subcommands.Add(MergeAdapterCommand.Create());
root.Subcommands.Add(LogitsCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(ExportOnnxCommand.Create());
root.Subcommands.Add(CheckOnnxCommand.Create());
root.Subcommands.Add(RulesCommand.Create());
return Run.Execute(root, args);
