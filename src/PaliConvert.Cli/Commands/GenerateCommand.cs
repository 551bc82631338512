using System.CommandLine;
using PaliConvert.Pipeline;

namespace PaliConvert.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model")
        {
            Description = "A big_vision .npz or a Hugging Face folder (the reference forward pass), or an exported model.onnx or " +
                "split hub folder (ONNX Runtime, the cache fed as transformers.js feeds it)",
        };
        var image = new Option<string>("--image") { Description = "The image (PNG, JPEG, BMP, GIF), processed as SiglipImageProcessor " +
            "does", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt, e.g. 'caption en' or 'detect cat'", Required = true };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Stop after this many new tokens (or at <eos>)",
            DefaultValueFactory = _ => 32 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "SentencePiece model (default: the model folder's " +
            "tokenizer.model, or NAME.tokenizer.model beside NAME.npz)" };
        var json = new Option<bool>("--json") { Description = "Print prompt_ids, generated_ids, text and timings as JSON" };
        var save = new Option<string?>("--save-inputs") { Description = "Write the exact inputs as an inputs.npz logits and verify take" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --save-inputs or --draw file" };
        var draw = new Option<string?>("--draw") { Description = "Write the image as a PNG with the boxes and labels of the <loc> " +
            "detections in the text drawn (for 'detect ...' prompts)" };
        var facts = new FactOptions();
        var dtype = OnnxDTypeOption.ForRun("ONNX");
        var preprocess = new ChoiceOption<Formats.Images.ImagePreprocess>("--preprocess", "hf: as transformers' SiglipImageProcessor " +
            "(PIL bicubic, EXIF orientation, alpha over white); big_vision: as its decode|resize|value_range (TF bilinear, no " +
            "antialias)", "hf", ("hf", Formats.Images.ImagePreprocess.Hf), ("big_vision", Formats.Images.ImagePreprocess.BigVision));
        var adapter = AdapterOption.Create("the model (run beside its weights, unmerged)");
        var mappings = MappingsFolder.Option("Folder of mapping rule files (to name an .npz's tensors for --adapter)");
        var cmd = new Command("generate", "Image + prompt -> text: greedy generation as transformers' PaliGemmaProcessor and " +
            "generate() do it") { model, image, prompt, maxNew, tokenizer, json, save, draw, force, dtype.Option, preprocess.Option,
                adapter, mappings };
        foreach (var option in facts.All) cmd.Options.Add(option);
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var o = new GenerateOptions(r.GetValue(model)!, r.GetValue(image)!, r.GetValue(prompt)!, r.GetValue(maxNew),
                r.GetValue(tokenizer), facts.Read(r), r.GetValue(save), r.GetValue(force), dtype.Read(r), r.GetValue(draw),
                preprocess.Read(r)) { Adapter = AdapterOption.Input(r.GetValue(adapter), r.GetValue(mappings)!) };
            var result = Generate.Run(o, new Progress(), Run.Scope);
            Progress.Clear();
            Console.Out.WriteLine(r.GetValue(json) ? Json.Serialize(result) : result.Text);
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
