using System.CommandLine;
using PaliConvert.Export;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class ExportOnnxCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A big_vision .npz or a Hugging Face folder" };
        var output = new Argument<string>("out") { Description = "Folder to create with model.onnx and model.onnx.data, or with --layout " +
            "split a hub folder (written beside, renamed when complete)" };
        var dtype = OnnxDTypeOption.ForExport();
        var blockSize = new Option<int>("--block-size") { Description = "q4 and q4f16: weights per scale (16, 32, 64, 128 or 256)",
            DefaultValueFactory = _ => 32 };
        var asymmetric = new Option<bool>("--asymmetric") { Description = "q8, q4, q4f16: a zero point per channel or block (ONNX " +
            "Runtime's asymmetric quantization) instead of symmetric codes" };
        var layout = new ChoiceOption<OnnxLayoutKind>("--layout",
            "single (model.onnx) or split (a hub folder for transformers.js: onnx/vision_encoder, embed_tokens and " +
                "decoder_model_merged with a key/value cache; exporting another --dtype into it adds that variant)",
            "single", ("single", OnnxLayoutKind.Single), ("split", OnnxLayoutKind.Split));
        var force = new Option<bool>("--force") { Description = "Replace an existing non-empty output folder (in a hub folder of the " +
            "same model: replace that dtype's graphs, keeping the others)" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files (for an .npz source)");
        var facts = new FactOptions();
        var tokenizer = TokenizerOption.Create();
        var json = JsonOption.ForOutput();
        var adapter = AdapterOption.Create("the source as it is exported");
        var cmd = new Command("export-onnx",
            "Export to ONNX (IR 10, opset 23) with inputs pixel_values, input_ids, token_type_ids and output logits; weights as " +
                "external data") { source, output, dtype.Option, blockSize, asymmetric, layout.Option, force, mappings, tokenizer,
                    adapter, json };
        foreach (var option in facts.All) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var target = ExportOnnx.Run(new ExportOnnxOptions(r.GetValue(source)!, r.GetValue(output)!, r.GetValue(mappings)!,
                new OnnxWeights(dtype.Read(r), r.GetValue(blockSize), !r.GetValue(asymmetric)), r.GetValue(force), layout.Read(r),
                facts.Read(r), r.GetValue(tokenizer)) { Adapter = r.GetValue(adapter) }, new Progress(), Run.Scope);
            Progress.Clear();
            JsonOption.Print(target, r.GetValue(json));
            TokenizerOption.NoteIfMissing(target);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
