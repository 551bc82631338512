using System.Text.Json;
using PaliConvert.Formats.Npz;
using PaliConvert.Models;
using PaliConvert.Synth;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Synth;

public class SynthTests
{
    [Theory]
    [InlineData("pg1-3b-224"), InlineData("pg2-3b-224"), InlineData("pg2-10b-224"), InlineData("pg2-28b-224"), InlineData("pg2-3b-448"),
        InlineData("pg1-3b-896")]
    public void ShapesAreThoseOfTheIndependentTable(string variant)
    {
        var peer = JsonDocument.Parse(TestPaths.Python("synth_shapes.py", variant)).RootElement;
        var ours = SynthVariant.Shapes(variant);
        Assert.Equal(peer.EnumerateArray().Select(e => e[0].GetString()), ours.Select(s => s.name));
        Assert.Equal(peer.EnumerateArray().Select(e => string.Join(",", e[1].EnumerateArray().Select(d => d.GetInt64()))),
                     ours.Select(s => string.Join(",", s.shape)));
    }

    [Fact]
    public void UnknownVariantsAreRefusedListingTheKnownOnes()
    {
        var e = Assert.Throws<UsageException>(() => SynthVariant.Shapes("pg3-1b-224"));
        Assert.Contains("pg2-28b-224", e.Message);
        Assert.Throws<UsageException>(() => SynthVariant.Shapes("pg2-3b-225"));
    }

    private static readonly (string, long[])[] Small =
    [
        ("llm/layers/attn/q_einsum/w", [2, 3, 8, 4]),
        ("llm/layers/mlp/linear", [2, 5000, 7]), // more than one slab's worth would be too slow here; several chunks of values
        ("img/embedding/bias", [16]),
    ];

    [Theory]
    [InlineData(SynthDType.Mixed), InlineData(SynthDType.BF16), InlineData(SynthDType.F16), InlineData(SynthDType.F32)]
    public void OutputLoadsWithNumpyWithTheRequestedDTypes(SynthDType mode)
    {
        using var dir = new TempDir();
        string path = dir.File("s.npz");
        SynthWriter.Write(Small, mode, 1, path);
        using var ck = NpzCheckpoint.Open(path);
        var oracle = JsonDocument.Parse(TestPaths.Python("npz_oracle.py", path)).RootElement;
        foreach (var (name, shape) in Small)
        {
            var t = ck.Get(name);
            Assert.Equal(shape, t.Shape);
            var expected = mode switch
            {
                SynthDType.Mixed => name.StartsWith("llm/layers/attn/") ? DType.F32 : DType.F16,
                _ => DTypeInfo.ParseLabel(mode.ToString().ToLowerInvariant()),
            };
            Assert.Equal(expected, t.DType);
            Assert.Equal(NpzCopy.Sha256(t), oracle.GetProperty(name)[2].GetString());
            var v = new float[t.Elements];
            t.ReadF32(0, v);
            double mean = v.Average(), std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
            if (v.Length > 1000) Assert.InRange(std, 0.015, 0.025);
        }
    }

    [Fact]
    public void SameSeedSameBytesOtherSeedOtherBytes()
    {
        using var dir = new TempDir();
        SynthWriter.Write(Small, SynthDType.F32, 5, dir.File("a.npz"));
        SynthWriter.Write(Small, SynthDType.F32, 5, dir.File("b.npz"));
        SynthWriter.Write(Small, SynthDType.F32, 6, dir.File("c.npz"));
        Assert.Equal(File.ReadAllBytes(dir.File("a.npz")), File.ReadAllBytes(dir.File("b.npz")));
        Assert.NotEqual(File.ReadAllBytes(dir.File("a.npz")), File.ReadAllBytes(dir.File("c.npz")));
    }

    /// <summary>
    /// Full-size checkpoints as sparse files: real headers, holes for data (CRCs not computed, which the reader does
    /// not check for stored members). Exercises zip64 offsets past 4 GB and detection at real sizes, using no disk.
    /// </summary>
    [Theory]
    // 2,923,466,480 is the hub model's published count, which holds 64 padded vocabulary rows of width 2048 more
    [InlineData("pg1-3b-224", 1, "3B", 224, 18, 2_923_466_480L - 64 * 2048)]
    [InlineData("pg2-10b-448", 2, "10B", 448, 42, 0L)]
    [InlineData("pg2-28b-896", 2, "28B", 896, 46, 0L)]
    public void FullSizeVariantsInspectAsTheirRelease(string variant, int family, string size, int px, int layers, long parameters)
    {
        using var dir = new TempDir();
        string path = dir.File("sparse.npz");
        using (var zip = new PaliConvert.Formats.Zip.ZipWriter(path, sparse: true))
        {
            foreach (var (name, shape) in SynthVariant.Shapes(variant))
            {
                var header = NpyHeader.Write(DType.BF16, shape);
                zip.BeginMember(name + ".npy", header.Length + Shape.Bytes(shape, DType.BF16));
                zip.Write(header);
                zip.SkipForTests(Shape.Bytes(shape, DType.BF16));
                zip.EndMember();
            }
            zip.Finish();
        }
        Assert.True(new FileInfo(path).Length > 4L << 30);
        using var ck = NpzCheckpoint.Open(path);
        var r = PaliConvert.Analysis.Inspection.Of(ck);
        Assert.Equal(family, r.Family);
        Assert.Equal(size, r.Size);
        Assert.Equal(px, r.ImageSize);
        Assert.Equal(27, r.VisionLayers);
        Assert.Equal(layers, r.DecoderLayers);
        Assert.True(r.Architecture.Vision.IsSo400m);
        if (parameters > 0) Assert.Equal(parameters, r.Parameters);
        Assert.Equal(variant == "pg2-28b-896" ? 144.0 : r.Architecture.Decoder.HeadDim, r.Architecture.Decoder.QueryPreAttnScalar);
    }
}
