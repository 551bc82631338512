using System.CommandLine;
using PaliConvert.Formats.Npz;
using PaliConvert.Inference;

namespace PaliConvert.Cli.Commands;

public static class LogitsCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A big_vision .npz or a Hugging Face folder" };
        var inputs = new Option<string>("--inputs") { Description = "An .npz with image_nhwc float32 [B,H,W,3] in [-1,1], text int [B,T] and the mask", Required = true };
        var maskKey = new Option<string>("--mask-key") { Description = "Name of the mask_ar array in the inputs (absent: all prefix)", DefaultValueFactory = _ => "mask_ar" };
        var output = new Option<string>("--out") { Description = "The .npy to write: float32 text logits [B, T, V]", Required = true };
        var cmd = new Command("logits", "Run the reference forward pass (float32, CPU) and write the text logits") { model, inputs, maskKey, output };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            using var m = LoadedModel.Open(r.GetValue(model)!);
            var input = InputsFile.Load(r.GetValue(inputs)!, r.GetValue(maskKey)!);
            var result = new PaliGemmaForward(m.Weights, new Progress()).Run(input);
            Progress.Clear();
            NpyFile.WriteF32(r.GetValue(output)!, [input.Batch, input.TextLength, result.Vocab], result.Logits);
            Console.Out.WriteLine(r.GetValue(output));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
