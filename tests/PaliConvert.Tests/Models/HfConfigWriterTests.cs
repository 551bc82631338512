using System.Text.Json;

namespace PaliConvert.Tests.Models;

/// <summary>
/// transformers 5's configs are strict dataclasses: final_logit_softcapping 30 (a JSON integer) fails to load where 30.0
/// loads. golden/*/hf/config.json, written by transformers itself, is the oracle for each number's kind.
/// </summary>
public class HfConfigWriterTests
{
    /// <summary>int or float, as Python's json module reads a number.</summary>
    private static void Kinds(JsonElement e, string path, Dictionary<string, string> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject()) Kinds(p.Value, path + "." + p.Name, into);
        else if (e.ValueKind == JsonValueKind.Number)
            into[path] = e.GetRawText().IndexOfAny(['.', 'e', 'E']) >= 0 ? "float" : "int";
    }

    private static Dictionary<string, string> Kinds(string file)
    {
        var into = new Dictionary<string, string>();
        Kinds(JsonDocument.Parse(File.ReadAllText(file)).RootElement, "", into);
        return into;
    }

    [Theory]
    [InlineData("pg1-tiny"), InlineData("pg2-tiny")]
    public void EveryNumberHasTheKindTransformersWrites(string model)
    {
        using var dir = new TempDir();
        var (code, _, stderr) = CliRunner.Run("jax2hf", TestPaths.Golden($"{model}/params.f32.npz"), dir.File("hf"));
        Assert.True(code == 0, stderr);
        var ours = Kinds(Path.Combine(dir.File("hf"), "config.json"));
        var golden = Kinds(TestPaths.Golden($"{model}/hf/config.json"));
        var shared = ours.Keys.Intersect(golden.Keys).ToList();
        Assert.True(shared.Count >= 20, string.Join(", ", shared));
        Assert.Contains(".text_config.rope_parameters.rope_theta", shared);
        if (model == "pg2-tiny") Assert.Contains(".text_config.final_logit_softcapping", shared);
        Assert.Empty(shared.Where(k => ours[k] != golden[k]).Select(k => $"{k}: {ours[k]}, transformers {golden[k]}"));
    }

    [Fact]
    public void AFractionalQueryScalarIsRefusedForTransformers()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = CliRunner.Run("jax2hf", TestPaths.Golden("pg2-tiny/params.f32.npz"), dir.File("hf"),
            "--query-pre-attn-scalar", "12.5");
        Assert.Equal(2, code);
        Assert.Contains("text_config.query_pre_attn_scalar 12.5 is not a positive integer", stderr);
        Assert.False(Directory.Exists(dir.File("hf")));
    }
}
