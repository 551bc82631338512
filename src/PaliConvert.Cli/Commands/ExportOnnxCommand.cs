using System.CommandLine;
using PaliConvert.Export;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Cli.Commands;

public static class ExportOnnxCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A big_vision .npz or a Hugging Face folder" };
        var output = new Argument<string>("out") { Description = "Folder to create with model.onnx and model.onnx.data (written beside, " +
            "renamed when complete)" };
        var dtype = new ChoiceOption<DType>("--dtype", "Weights as f32, or f16 (cast to f32 at use; half the size)", "f32",
            ("f32", DType.F32), ("f16", DType.F16));
        var layout = new ChoiceOption<OnnxLayoutKind>("--layout",
            "single (model.onnx) or split (vision_encoder.onnx, embed_tokens.onnx, decoder_model_merged.onnx with a key/value cache)",
            "single", ("single", OnnxLayoutKind.Single), ("split", OnnxLayoutKind.Split));
        var force = new Option<bool>("--force") { Description = "Replace an existing non-empty output folder" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files (for an .npz source)");
        var facts = new FactOptions();
        var tokenizer = TokenizerOption.Create();
        var cmd = new Command("export-onnx",
            "Export to ONNX (IR 10, opset 23) with inputs pixel_values, input_ids, token_type_ids and output logits; weights as " +
                "external data") { source, output, dtype.Option, layout.Option, force, mappings, tokenizer };
        foreach (var option in facts.All) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var target = ExportOnnx.Run(new ExportOnnxOptions(r.GetValue(source)!, r.GetValue(output)!, r.GetValue(mappings)!,
                dtype.Read(r), r.GetValue(force), layout.Read(r), facts.Read(r), r.GetValue(tokenizer)), new Progress());
            Progress.Clear();
            Console.Out.WriteLine(target);
            TokenizerOption.NoteIfMissing(target);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
