using System.Text.Json.Nodes;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Pipeline;

/// <summary>
/// generate against the real consumer: transformers.js 4.3.1 (AutoProcessor and greedy generate() on the split export)
/// must give the same prompt ids and new ids as generate on the .npz and on the HF folder, on talkative variants of
/// both golden models (whose greedy output varies).
/// </summary>
public class GenerateTests
{
    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void TheNpzTheHfFolderAndTransformersJsSayTheSame(string model)
    {
        using var dir = new TempDir();
        string corpus = Formats.SentencePiece.TokenizerJsonTests.Corpus(dir, asciiOnly: true);
        string tokenizer = Formats.SentencePiece.TokenizerJsonTests.Train(dir, corpus, "tok", 300, byteFallback: true);
        string npz = Talkative.Write(model, dir.File("talk.npz"));
        string hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings, Tokenizer: tokenizer));
        string web = ExportOnnx.Run(new ExportOnnxOptions(hf, dir.File("web"), TestPaths.Mappings,
            Layout: PaliConvert.Export.OnnxLayoutKind.Split));
        string single = Path.Combine(ExportOnnx.Run(new ExportOnnxOptions(hf, dir.File("single"), TestPaths.Mappings)), "model.onnx");
        var rng = new Random(5);
        string png = Png.Write(dir.File("image.png"), 56, 56, (_, _) => ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        const string prompt = "caption the red dog";
        NodeScript.Run("processor.mjs", web, "fp32", png, prompt, "8", dir.File("js.json"));
        var js = JsonNode.Parse(File.ReadAllText(dir.File("js.json")))!;
        var sequence = js["sequences"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        int tokens = sequence.TakeWhile(id => id == 300).Count();
        foreach (var source in new[] { npz, hf, web, single })
        {
            var r = Generate.Run(new GenerateOptions(source, png, prompt, 8, source == npz ? tokenizer : null));
            Assert.Equal(sequence[tokens..(tokens + r.PromptIds.Length)], r.PromptIds);
            Assert.Equal(sequence[(tokens + r.PromptIds.Length)..], r.GeneratedIds);
            Assert.True(r.GeneratedIds.Distinct().Count() >= 2 && r.GeneratedIds[0] != r.PromptIds[^1], string.Join(" ", r.GeneratedIds));
            Assert.Equal(js["decoded"]!.GetValue<string>(), prompt + "\n" + r.Text);
        }
    }

    [Fact]
    public void TheCliPrintsTextOrJsonAndSavesInputsThatLogitsReplays()
    {
        using var dir = new TempDir();
        string corpus = Formats.SentencePiece.TokenizerJsonTests.Corpus(dir, asciiOnly: true);
        string tokenizer = Formats.SentencePiece.TokenizerJsonTests.Train(dir, corpus, "tok", 300, byteFallback: true);
        string npz = Talkative.Write("pg2-tiny", dir.File("talk.npz"));
        File.Copy(tokenizer, dir.File("talk.tokenizer.model")); // where hf2jax puts it, found without --tokenizer
        string png = Png.Write(dir.File("i.png"), 90, 70, (x, y) => ((byte)(x * 3), (byte)(y * 3), (byte)(x ^ y)));
        var (code, stdout, stderr) = CliRunner.Run("generate", npz, "--image", png, "--prompt", "detect dog", "--max-new-tokens", "5",
            "--json", "--save-inputs", dir.File("in.npz"));
        Assert.True(code == 0, stderr);
        var o = JsonNode.Parse(stdout)!;
        var generated = o["generated_ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        Assert.Equal(5, generated.Length);
        Assert.True(o["prefill_seconds"]!.GetValue<double>() > 0);
        (code, _, stderr) = CliRunner.Run("logits", npz, "--inputs", dir.File("in.npz"), "--out", dir.File("l.npy"));
        Assert.True(code == 0, stderr);
        (code, var text, stderr) = CliRunner.Run("generate", npz, "--image", png, "--prompt", "detect dog", "--max-new-tokens", "5",
            "--draw", dir.File("boxes.png"));
        Assert.True(code == 0, stderr);
        var drawn = PaliConvert.Formats.Images.ImageFile.Read(dir.File("boxes.png")); // the original image, boxes drawn (none here)
        Assert.Equal((90, 70), (drawn.Width, drawn.Height));
        Assert.Equal(PaliConvert.Formats.Images.ImageFile.Read(png).Pixels, drawn.Pixels);
        Assert.Empty(o["detections"]!.AsArray());
        Assert.Equal(o["text"]!.GetValue<string>(), text.TrimEnd('\n'));
        (code, _, stderr) = CliRunner.Run("generate", npz, "--image", dir.File("talk.npz"), "--prompt", "x");
        Assert.Equal(2, code);
        Assert.Contains("talk.npz: not an image", stderr);
    }
}
