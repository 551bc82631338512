using System.Text.Json.Nodes;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Models;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Validation;

/// <summary>verify by what the models say: a right conversion says the same; keys and values exchanged does not.</summary>
public class VerifyGenerationTests
{
    private static (string npz, string hf, string png) Models(TempDir dir)
    {
        string corpus = Formats.SentencePiece.TokenizerJsonTests.Corpus(dir, asciiOnly: true);
        string tokenizer = Formats.SentencePiece.TokenizerJsonTests.Train(dir, corpus, "tok", 300, byteFallback: true);
        string npz = Talkative.Write("pg2-tiny", dir.File("talk.npz"));
        File.Copy(tokenizer, dir.File("talk.tokenizer.model"));
        string hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings, Tokenizer: tokenizer));
        var rng = new Random(8);
        string png = Png.Write(dir.File("i.png"), 64, 48, (_, _) => ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        return (npz, hf, png);
    }

    private static JsonNode Verify(TempDir dir, string source, string target, int expected, params string[] extra)
    {
        string report = dir.File($"r-{Guid.NewGuid():N}.json");
        var (code, stdout, stderr) = CliRunner.Run(["verify", source, target, "--image", dir.File("i.png"), "--prompt", "caption en",
            "--max-new-tokens", "8", "--report", report, .. extra]);
        Assert.True(code == expected, stdout + stderr);
        Assert.Contains("generation: 'caption en'", stdout);
        return JsonNode.Parse(File.ReadAllText(report))!["generations"]![0]!;
    }

    [Fact]
    public void ARightConversionSaysTheSameInTheReferencePassAndInOnnxRuntime()
    {
        using var dir = new TempDir();
        var (npz, hf, _) = Models(dir);
        var g = Verify(dir, npz, hf, 0);
        var ids = g["source_ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        Assert.Equal(ids, g["target_ids"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.True(ids.Distinct().Count() >= 2);
        Assert.Equal(-1, g["first_divergence"]!.GetValue<int>());
        string web = ExportOnnx.Run(new ExportOnnxOptions(hf, dir.File("web"), TestPaths.Mappings,
            Layout: PaliConvert.Export.OnnxLayoutKind.Split));
        g = Verify(dir, npz, web, 0);
        Assert.Equal(ids, g["target_ids"]!.AsArray().Select(v => v!.GetValue<int>()));
        // several pairs from a file, each its own JUnit case
        var rng = new Random(2);
        Png.Write(dir.File("j.png"), 56, 56, (_, _) => ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        File.WriteAllText(dir.File("pairs.tsv"), "# image and prompt\ni.png\tcaption en\nj.png\tdetect dog\n");
        var (code, stdout, stderr) = CliRunner.Run("verify", npz, hf, "--prompts", dir.File("pairs.tsv"), "--junit", dir.File("v.xml"));
        Assert.True(code == 0, stdout + stderr);
        var junit = System.Xml.Linq.XDocument.Load(dir.File("v.xml"));
        Assert.Equal(2, junit.Descendants("testcase").Count(t => (string?)t.Attribute("classname") == "paliconvert.verify.generation"));
    }

    [Fact]
    public void KeysAndValuesExchangedDoNotSayTheSame()
    {
        using var dir = new TempDir();
        var (npz, hf, _) = Models(dir);
        string bad = dir.File("bad");
        Directory.CreateDirectory(bad);
        foreach (var f in Directory.GetFiles(hf).Where(f => !f.EndsWith(".safetensors")))
            File.Copy(f, Path.Combine(bad, Path.GetFileName(f)));
        using (var src = KeySpelling.OpenHf(hf))
        using (var fs = File.Create(Path.Combine(bad, "model.safetensors")))
        {
            string k = src.Tensors.Single(t => t.Name.EndsWith("layers.1.self_attn.k_proj.weight") && !t.Name.Contains("vision")).Name;
            string v = k.Replace("k_proj", "v_proj");
            fs.Write(SafetensorsFile.BuildHeader(src.Tensors.Select(t => (t.Name, t.DType, t.Shape)), null));
            foreach (var t in src.Tensors)
            {
                var from = t.Name == k ? src.Get(v) : t.Name == v ? src.Get(k) : t;
                fs.Write(from.Data.Span(0, (int)from.ByteLength));
            }
        }
        var g = Verify(dir, npz, bad, 1);
        Assert.False(g["passed"]!.GetValue<bool>());
        Assert.False(g["steps"]!["passed"]!.GetValue<bool>());
    }
}
