using System.CommandLine;

namespace PaliConvert.Cli.Commands;

public static class LogitsCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A big_vision .npz, a Hugging Face folder, or an exported model.onnx " +
            "or split hub folder (run in ONNX Runtime)" };
        var inputs = new Option<string>("--inputs") { Description = "An .npz with image_nhwc float32 [B,H,W,3] in [-1,1], text int " +
            "[B,T] and the mask", Required = true };
        var maskKey = new Option<string>("--mask-key") { Description = "Name of the mask_ar array in the inputs (it must be there)",
            DefaultValueFactory = _ => "mask_ar" };
        var allPrefix = new Option<bool>("--all-prefix") { Description = "No mask array: every text token is prefix (attends both ways)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing output file" };
        var output = new Option<string>("--out") { Description = "The .npy to write: float32 text logits [B, T, V]", Required = true };
        var facts = new FactOptions();
        var dtype = OnnxDTypeOption.ForRun("ONNX");
        var adapter = AdapterOption.Create("the model (run beside its weights, unmerged)");
        var mappings = MappingsFolder.Option("Folder of mapping rule files (to name an .npz's tensors for --adapter)");
        var cmd = new Command("logits",
            "Run a model (the reference forward pass, or ONNX Runtime for .onnx) and write the text logits") { model, inputs, maskKey,
                allPrefix, output, force, dtype.Option, adapter, mappings };
        foreach (var option in facts.All) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var written = Pipeline.Logits.Run(new Pipeline.LogitsOptions(r.GetValue(model)!, r.GetValue(inputs)!,
                r.GetValue(allPrefix) ? null : r.GetValue(maskKey)!, r.GetValue(output)!, r.GetValue(force), facts.Read(r),
                dtype.Read(r)) { Adapter = AdapterOption.Input(r.GetValue(adapter), r.GetValue(mappings)!) }, new Progress(), Run.Scope);
            Progress.Clear();
            Console.Out.WriteLine(written);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
