using PaliConvert.Models;
using PaliConvert.Analysis;
using PaliConvert.Formats;

namespace PaliConvert.Tests.Analysis;

public class DiffTests
{
    [Fact]
    public void FineTuneOfAttentionShowsOnlyAttentionChanged()
    {
        using var dir = new TempDir();
        string baseline = TestPaths.Golden("pg2-tiny/params.f32.npz");
        var tuned = NpzCopy.Write(baseline, dir.File("tuned.npz"), t =>
        {
            var b = NpzCopy.Bytes(t);
            if (t.Name == "llm/layers/attn/q_einsum/w")
            {
                long at = b.Length / 2 + 4 * 5; // an element of layer 1
                var v = BitConverter.ToSingle(b, (int)at) - 0.25f; // negative: the largest change must count whatever its sign
                BitConverter.GetBytes(v).CopyTo(b, at);
            }
            return [(t.Name, t.Shape, b)];
        });
        using var a = KeySpelling.Open(baseline);
        using var c = KeySpelling.Open(tuned);
        var r = DiffReport.Compare(a, c);
        Assert.False(r.Identical);
        var changed = Assert.Single(r.Tensors, t => t.Status != DiffStatus.Equal);
        Assert.Equal("llm/layers/attn/q_einsum/w", changed.Name);
        Assert.Equal([1], changed.ChangedLayers);
        Assert.Equal(0.25, changed.MaxAbsDiff, 1e-6);
        var group = Assert.Single(r.Groups, g => g.Changed > 0);
        Assert.Equal("llm/layers/attn", group.Group);
        Assert.Contains("llm/layers/attn", r.ToText(false));
    }

    [Fact]
    public void DifferentDTypesOfTheSameValuesCompareByValue()
    {
        using var f32 = KeySpelling.Open(TestPaths.Golden("pg1-tiny/params.f32.npz"));
        using var mixed = KeySpelling.Open(TestPaths.Golden("pg1-tiny/params.mixed.npz"));
        var r = DiffReport.Compare(f32, mixed);
        // attention stays f32 in the mixed file: equal; the rest was rounded to f16: changed by at most half an f16 ulp
        Assert.All(r.Tensors.Where(t => t.Name.StartsWith("llm/layers/attn/")), t => Assert.Equal(DiffStatus.Equal, t.Status));
        var rounded = r.Tensors.Where(t => t.Status == DiffStatus.Changed).ToList();
        Assert.NotEmpty(rounded);
        Assert.All(rounded, t => Assert.InRange(t.MaxAbsDiff, 1e-9, 1e-2));
    }

    [Fact]
    public void MissingAndReshapedTensorsAreListed()
    {
        using var dir = new TempDir();
        string baseline = TestPaths.Golden("pg1-tiny/params.f32.npz");
        var other = NpzCopy.Write(baseline, dir.File("other.npz"), t => t.Name switch
        {
            "img/head/bias" => [],
            "img/pos_embedding" => [(t.Name, [16, 32], NpzCopy.Bytes(t))],
            _ => [(t.Name, t.Shape, NpzCopy.Bytes(t))],
        });
        using var a = KeySpelling.Open(baseline);
        using var b = KeySpelling.Open(other);
        var r = DiffReport.Compare(a, b);
        Assert.Equal(DiffStatus.OnlyInA, r.Tensors.Single(t => t.Name == "img/head/bias").Status);
        Assert.Equal(DiffStatus.ShapeMismatch, r.Tensors.Single(t => t.Name == "img/pos_embedding").Status);
        Assert.Equal(2, r.Tensors.Count(t => t.Status != DiffStatus.Equal));
    }

    [Fact]
    public void HfFoldersCompareByLayerName()
    {
        using var a = KeySpelling.Open(TestPaths.Golden("pg2-tiny/hf-legacy"));
        using var b = KeySpelling.Open(TestPaths.Golden("pg2-tiny/hf"));
        var r = DiffReport.Compare(a, b);
        Assert.True(r.Identical, r.ToText(false));
        Assert.Contains(r.Groups, g => g.Group == "language_model.model.layers.*.self_attn");
    }
}
