using PaliConvert.Formats.Npz;
using PaliConvert.Inference;
using PaliConvert.Models;

namespace PaliConvert.Tests.Models;

/// <summary>
/// The name tables against checkpoints that big_vision and transformers wrote: every tensor of a golden model is
/// named by its format's table, and the table names nothing the model lacks.
/// </summary>
public class NameTableTests
{
    [Theory]
    [InlineData("pg1-tiny", 1)]
    [InlineData("pg2-tiny", 2)]
    public void TheHfTableNamesExactlyTheTensorsTransformersWrote(string model, int familyNumber)
    {
        var family = (GemmaFamily)familyNumber;
        using var ck = KeySpelling.OpenHf(TestPaths.Golden($"{model}/hf"));
        var arch = ArchDetector.Detect(ck);
        var named = HfNames.Kinds(family).SelectMany(k => !k.PerLayer() ? [HfNames.Of(k, family)]
            : Enumerable.Range(0, k.IsVision() ? arch.Vision.Layers : arch.Decoder.Layers).Select(l => HfNames.Of(k, family, l)));
        Assert.Equal(ck.Tensors.Select(t => t.Name).Where(n => !n.Contains("lm_head")).Order(), named.Order());
    }

    [Theory]
    [InlineData("pg1-tiny")]
    [InlineData("pg2-tiny")]
    public void TheBigVisionTableNamesExactlyTheTensorsBigVisionWrote(string model)
    {
        using var ck = NpzCheckpoint.Open(TestPaths.Golden($"{model}/params.f32.npz"));
        var arch = ArchDetector.Detect(ck);
        var named = HfNames.Kinds(arch.Family).Select(k => BigVisionNames.Of(k, arch.Decoder.FusedQkv).Name).Distinct();
        Assert.Equal(ck.Tensors.Select(t => t.Name).Order(), named.Order());
    }

    [Fact]
    public void AShapeThatContradictsTheModelIsATypedErrorNamingTheTensor()
    {
        using var ck = NpzCheckpoint.Open(TestPaths.Golden("pg2-tiny/params.f32.npz"));
        var e = Assert.Throws<TensorShapeException>(() => BigVisionNames.Get(ck, BigVisionNames.Embedding, 7, 7));
        Assert.Equal(BigVisionNames.Embedding, e.Item);
        Assert.Equal([7L, 7], e.Expected);
        Assert.Equal(ck.Get(BigVisionNames.Embedding).Shape, e.Actual);
    }

    [Fact]
    public void TheWeightViewsReadThroughTheTables()
    {
        using var model = LoadedModel.Open(TestPaths.Golden("pg2-tiny/hf"));
        var k = model.Weights.Decoder(DecoderLinear.K, 1);
        Assert.Equal(model.Weights.Arch.Decoder.KvHeads * model.Weights.Arch.Decoder.HeadDim, k.Out);
    }
}
