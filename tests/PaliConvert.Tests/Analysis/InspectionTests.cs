using System.Text.Json;
using PaliConvert.Analysis;
using PaliConvert.Formats;
using PaliConvert.Models;

namespace PaliConvert.Tests.Analysis;

public class InspectionTests
{
    private static long ManifestParameters(string model)
    {
        var m = JsonDocument.Parse(File.ReadAllText(TestPaths.Golden($"{model}/manifest.json"))).RootElement.GetProperty("tensors");
        return m.EnumerateObject().Sum(p => p.Value[0].EnumerateArray().Aggregate(1L, (a, d) => a * d.GetInt64()));
    }

    [Theory]
    [InlineData("pg1-tiny", "params.f32.npz", 1), InlineData("pg1-tiny", "params.bf16.npz", 1), InlineData("pg1-tiny", "hf", 1)]
    [InlineData("pg2-tiny", "params.mixed.npz", 2), InlineData("pg2-tiny", "params.prefixed.npz", 2),
        InlineData("pg2-tiny", "hf-legacy", 2)]
    public void GoldenModelsShowLayerCountsParametersAndArchitecture(string model, string file, int family)
    {
        using var ck = KeySpelling.Open(TestPaths.Golden($"{model}/{file}"));
        var r = Inspection.Of(ck);
        var cfg = JsonDocument.Parse(File.ReadAllText(TestPaths.Golden($"{model}/manifest.json"))).RootElement;
        Assert.Equal(family, r.Family);
        Assert.Equal(cfg.GetProperty("img").GetProperty("depth").GetInt32(), r.VisionLayers);
        Assert.Equal(cfg.GetProperty("llm").GetProperty("depth").GetInt32(), r.DecoderLayers);
        Assert.Equal(cfg.GetProperty("img").GetProperty("image").GetInt32(), r.ImageSize);
        Assert.Equal("custom", r.Size);
        var d = r.Architecture.Decoder;
        var llm = cfg.GetProperty("llm");
        Assert.Equal(llm.GetProperty("width").GetInt32(), d.Width);
        Assert.Equal(llm.GetProperty("num_heads").GetInt32(), d.Heads);
        Assert.Equal(llm.GetProperty("num_kv_heads").GetInt32(), d.KvHeads);
        Assert.Equal(llm.GetProperty("head_dim").GetInt32(), d.HeadDim);
        Assert.Equal(llm.GetProperty("mlp_dim").GetInt32(), d.Mlp);
        Assert.Equal(cfg.GetProperty("img").GetProperty("num_heads").GetInt32(), r.Architecture.Vision.Heads);
        bool hf = !file.EndsWith(".npz");
        long padding = hf ? (320 - 300) * d.Width : 0;
        Assert.Equal(ManifestParameters(model) + padding, r.Parameters);
        Assert.Equal(r.Parameters, r.Modules.Sum(m => m.Parameters));
        Assert.Equal(hf ? 320 : 300, d.Vocab);
        // stacked tensors show their layer axis as layers, not as one big tensor
        var q = r.Tensors.Single(t => t.Name == (hf ? "language_model.model.layers.{i}.self_attn.q_proj.weight"
            : "llm/layers/attn/q_einsum/w"));
        Assert.Equal(llm.GetProperty("depth").GetInt32(), q.Layers);
        Assert.Contains(family == 2 ? "Gemma 2 decoder" : "Gemma decoder", r.Summary);
    }

    [Fact]
    public void UnstackedLayoutGivesTheSameArchitecture()
    {
        using var dir = new TempDir();
        string src = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var path = NpzCopy.Write(src, dir.File("unstacked.npz"), t =>
        {
            if (!LayerNames.IsStacked(t.Name)) return [(t.Name, t.Shape, NpzCopy.Bytes(t))];
            long per = t.ByteLength / t.Shape[0];
            var all = NpzCopy.Bytes(t);
            string Unstacked(int i) => t.Name.Replace("encoderblock/", $"encoderblock_{i}/").Replace("llm/layers/", $"llm/layers_{i}/");
            return Enumerable.Range(0, (int)t.Shape[0]).Select(i => (Unstacked(i), t.Shape[1..],
                all[(int)(i * per)..(int)((i + 1) * per)]));
        });
        using var a = KeySpelling.Open(src);
        using var b = KeySpelling.Open(path);
        var ra = Inspection.Of(a);
        var rb = Inspection.Of(b);
        Assert.Equal(ra.Architecture.Facts(), rb.Architecture.Facts());
        Assert.Equal(ra.Parameters, rb.Parameters);
        Assert.Equal("big_vision unstacked", rb.Layout);
        Assert.Equal(2, rb.Tensors.Single(t => t.Name == "llm/layers_{i}/attn/q_einsum/w").Layers);
    }

    [Fact]
    public void ShapesThatContradictEachOtherAreReported()
    {
        using var dir = new TempDir();
        var path = NpzCopy.Write(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("bad.npz"), t =>
            t.Name == "img/head/kernel" ? [(t.Name, [64, 32], NpzCopy.Bytes(t))] : [(t.Name, t.Shape, NpzCopy.Bytes(t))]);
        using var ck = KeySpelling.Open(path);
        var e = Assert.Throws<BadInputException>(() => Inspection.Of(ck));
        Assert.Contains("'img/head/kernel'", e.Message);
    }

    [Fact]
    public void HfConfigThatContradictsTheTensorsIsReported()
    {
        using var dir = new TempDir();
        foreach (var f in Directory.GetFiles(TestPaths.Golden("pg2-tiny/hf"))) File.Copy(f, dir.File(Path.GetFileName(f)));
        File.WriteAllText(dir.File("config.json"),
            File.ReadAllText(dir.File("config.json")).Replace("\"intermediate_size\": 96,", "\"intermediate_size\": 128,"));
        using var ck = KeySpelling.Open(dir.Path);
        var e = Assert.Throws<BadInputException>(() => Inspection.Of(ck));
        Assert.Contains("contradicts the tensors: text_config.intermediate_size 128 against 96", e.Message);
    }
}
