using System.CommandLine;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class ExportOnnxCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A big_vision .npz or a Hugging Face folder" };
        var output = new Argument<string>("out") { Description = "Folder to create with model.onnx and model.onnx.data (written beside, renamed when complete)" };
        var dtype = new Option<string>("--dtype") { Description = "Weights as f32, or f16 (cast to f32 at use; half the size)", DefaultValueFactory = _ => "f32" };
        var layout = new Option<string>("--layout") { Description = "single (model.onnx) or split (vision_encoder.onnx, embed_tokens.onnx, decoder_model_merged.onnx with a key/value cache, as transformers.js loads)", DefaultValueFactory = _ => "single" };
        var force = new Option<bool>("--force") { Description = "Replace an existing non-empty output folder" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files (for an .npz source)");
        var facts = new FactOptions();
        var cmd = new Command("export-onnx", "Export to ONNX (IR 10, opset 23) with inputs pixel_values, input_ids, token_type_ids and output logits; weights as external data") { source, output, dtype, layout, force, mappings };
        foreach (var option in facts.All) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var target = ExportOnnx.Run(new ExportOnnxOptions(r.GetValue(source)!, r.GetValue(output)!, r.GetValue(mappings)!, r.GetValue(dtype)!, r.GetValue(force), r.GetValue(layout)!, facts.Read(r)), new Progress());
            Progress.Clear();
            Console.Out.WriteLine(target);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
