using PaliConvert.Formats.Npz;
using PaliConvert.Mapping;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Mapping;

/// <summary>Which rule file serves a checkpoint is decided by the files themselves: a new variant is YAML alone.</summary>
public class RuleSetTests
{
    private const string Variant = """
        # A fine-tune that adds a learned scale after the projection: the PaliGemma 2 rules plus one.
        name: paligemma2-projector-scale
        family: 2
        include: [paligemma2.yaml]
        rules:
          - from: img/head/extra_scale
            shape: [W]
            to: multi_modal_projector.extra_scale.weight
        """;

    private static string Mappings(TempDir dir, string? variant)
    {
        string folder = dir.File("mappings");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(TestPaths.Mappings, "*.yaml"))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        if (variant != null)
            File.WriteAllText(Path.Combine(folder, "paligemma2-projector-scale.yaml"), variant);
        return folder;
    }

    private static string WithExtraTensor(TempDir dir) =>
        NpzCopy.Write(
            TestPaths.Golden("pg2-tiny/params.f32.npz"),
            dir.File("variant.npz"),
            t =>
                t.Name == "img/head/bias"
                    ? [(t.Name, t.Shape, NpzCopy.Bytes(t)), ("img/head/extra_scale", t.Shape, NpzCopy.Bytes(t).Reverse().ToArray())]
                    : [(t.Name, t.Shape, NpzCopy.Bytes(t))]
        );

    [Fact]
    public void AVariantAddedAsYamlAloneConvertsBothWaysAndTheBaseStillApplies()
    {
        using var dir = new TempDir();
        string mappings = Mappings(dir, Variant),
            variant = WithExtraTensor(dir);
        var hf = Jax2Hf.Run(new Jax2HfOptions(variant, dir.File("hf"), mappings));
        using (var ck = PaliConvert.Models.KeySpelling.OpenHf(hf))
        using (var src = NpzCheckpoint.Open(variant))
            Assert.Equal(NpzCopy.Bytes(src.Get("img/head/extra_scale")), NpzCopy.Bytes(ck.Get("multi_modal_projector.extra_scale.weight")));
        var back = Hf2Jax.Run(new Hf2JaxOptions(hf, dir.File("back.npz"), mappings));
        using (var a = NpzCheckpoint.Open(variant))
        using (var b = NpzCheckpoint.Open(back))
        {
            Assert.Equal(a.Tensors.Select(t => t.Name).Order(), b.Tensors.Select(t => t.Name).Order());
            foreach (var t in a.Tensors)
                Assert.Equal(NpzCopy.Bytes(t), NpzCopy.Bytes(b.Get(t.Name)));
        }
        // the released layout still picks paligemma2.yaml from the same folder
        var plain = Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg2-tiny/params.f32.npz"), dir.File("plain"), mappings));
        using var p = PaliConvert.Models.KeySpelling.OpenHf(plain);
        Assert.Null(p.Find("multi_modal_projector.extra_scale.weight"));
    }

    [Fact]
    public void WithoutTheVariantFileTheExtraTensorIsRefusedByName()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<BadInputException>(() =>
            Jax2Hf.Run(new Jax2HfOptions(WithExtraTensor(dir), dir.File("hf"), Mappings(dir, null)))
        );
        Assert.Contains("img/head/extra_scale", e.Message);
    }

    [Fact]
    public void TwoFilesThatBothApplyAreRefusedAsAmbiguous()
    {
        using var dir = new TempDir();
        string loose = Variant.Replace(
            "to: multi_modal_projector.extra_scale.weight",
            "to: multi_modal_projector.extra_scale.weight\n    optional: true"
        );
        var e = Assert.Throws<RuleException>(() =>
            Jax2Hf.Run(new Jax2HfOptions(TestPaths.Golden("pg2-tiny/params.f32.npz"), dir.File("hf"), Mappings(dir, loose)))
        );
        Assert.Contains("both map this checkpoint", e.Message);
    }

    [Theory]
    [InlineData("name: x\nsizes: {W: text_config.width}\n", "size W names 'text_config.width', which is not a quantity of the model")]
    [InlineData("name: x\ninclude: [x.yaml]\n", "included by itself")]
    [InlineData("family: 2\n", "the file needs a 'name'")]
    [InlineData("name: paligemma2\nfamily: 2\n", "are both named 'paligemma2'")]
    public void BadRuleFilesAreRefusedWhenTheFolderIsLoaded(string yaml, string expected)
    {
        using var dir = new TempDir();
        string mappings = Mappings(dir, null);
        File.WriteAllText(Path.Combine(mappings, "x.yaml"), yaml);
        var e = Assert.Throws<RuleException>(() => RuleSet.Load(mappings));
        Assert.Contains(expected, e.Message);
    }
}
