using System.Text.Json.Nodes;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Adapters;

/// <summary>
/// generate and logits with --adapter (the adapter run unmerged, on an HF folder and on an .npz through the rules)
/// say what the merged model says, on a talkative model whose greedy output varies; and the adapter changes it.
/// </summary>
public class AdapterGenerationTests
{
    [Fact]
    public void GenerateAndLogitsWithAnAdapterMatchTheMergedModel()
    {
        using var dir = new TempDir();
        string corpus = Formats.SentencePiece.TokenizerJsonTests.Corpus(dir, asciiOnly: true);
        string tokenizer = Formats.SentencePiece.TokenizerJsonTests.Train(dir, corpus, "tok", 300, byteFallback: true);
        string npz = Talkative.Write("pg2-tiny", dir.File("talk.npz"));
        string hf = Jax2Hf.Run(new Jax2HfOptions(npz, dir.File("hf"), TestPaths.Mappings, Tokenizer: tokenizer));
        string adapter = AdapterFiles.Make(hf, "regex-in-memory", dir.File("adapter"));
        string merged = MergeAdapter.Run(new MergeAdapterOptions(hf, adapter, dir.File("merged"), TestPaths.Mappings));
        var rng = new Random(7);
        string png = Png.Write(dir.File("i.png"), 56, 56, (_, _) => ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        int[] Ids(params string[] args)
        {
            var (code, stdout, stderr) = CliRunner.Run(["generate", .. args, "--image", png, "--prompt", "caption en", "--max-new-tokens",
                "8", "--json"]);
            Assert.True(code == 0, stderr);
            return JsonNode.Parse(stdout)!["generated_ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        }
        var fromMerge = Ids(merged);
        Assert.True(fromMerge.Distinct().Count() >= 2, string.Join(" ", fromMerge));
        Assert.Equal(fromMerge, Ids(hf, "--adapter", adapter));
        Assert.Equal(fromMerge, Ids(npz, "--adapter", adapter, "--tokenizer", tokenizer));
        Assert.NotEqual(fromMerge, Ids(hf));
        string inputs = TestPaths.Golden("pg2-tiny/inputs.npz");
        foreach (var (model, extra, output) in new[] { (merged, "", "m.npy"), (hf, adapter, "a.npy") })
        {
            var (code, _, stderr) = CliRunner.Run(["logits", model, "--inputs", inputs, "--mask-key", "mask_ar_prefixlm", "--out",
                dir.File(output), .. extra.Length > 0 ? new[] { "--adapter", extra } : []]);
            Assert.True(code == 0, stderr);
        }
        var (_, a) = PaliConvert.Formats.Npz.NpyFile.ReadF32(dir.File("m.npy"));
        var (_, b) = PaliConvert.Formats.Npz.NpyFile.ReadF32(dir.File("a.npy"));
        Assert.True(ModelRuns.MaxAbs(a, b) <= 2e-4 * Math.Max(1, a.Max(Math.Abs)), $"{ModelRuns.MaxAbs(a, b)}");
    }
}
