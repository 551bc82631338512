using PaliConvert.Models;

namespace PaliConvert.Validation.Weights;

/// <summary>
/// Says where in a tensor the differences lie, in the model's terms: the stacked layers, the part of an einsum
/// (keys or values, gate or up), and for attention the heads, from the axes the comparer saw differ.
/// </summary>
public static class DifferenceLocation
{
    /// <summary>A Hugging Face tensor [out, in] (or a stored part of it): layer from its name, heads from its rows or columns.</summary>
    public static string Hf(string name, ByteComparer c, int rowsAxis, int? colsAxis, PaliGemmaArch arch)
    {
        var parts = new List<string>();
        var (_, layer) = LayerNames.Split(name);
        if (layer >= 0) parts.Add($"layer {layer}");
        bool vision = name.StartsWith(HfNames.Vision, StringComparison.Ordinal);
        int headDim = vision ? arch.Vision.HeadDim : arch.Decoder.HeadDim;
        bool byRows = name.Contains(".q_proj.") || name.Contains(".k_proj.") || name.Contains(".v_proj.");
        bool byCols = name.Contains(".o_proj.") || name.Contains(".out_proj.weight");
        if (byRows) parts.Add(Heads(c.Indices(rowsAxis), headDim));
        else if (byCols && colsAxis is { } ca) parts.Add(Heads(c.Indices(ca), headDim));
        else if (c.Indices(rowsAxis).Count > 0) parts.Add($"rows {Ranges(c.Indices(rowsAxis))}");
        return string.Join(", ", parts);
    }

    /// <summary>A big_vision tensor: layers on axis 0 of stacked tensors, then the einsum's part and heads axes.</summary>
    public static string BigVision(string name, ByteComparer c)
    {
        var parts = new List<string>();
        int axis = 0;
        if (LayerNames.IsStacked(name)) parts.Add($"layers {Ranges(c.Indices(axis++))}");
        string[]? partNames = name switch
        {
            BigVisionNames.KvEinsum => ["keys", "values"],
            BigVisionNames.QkvEinsum => ["queries", "keys", "values"],
            BigVisionNames.GatingEinsum => ["gate", "up"],
            _ => null,
        };
        if (partNames != null) parts.Add(string.Join(" and ", c.Indices(axis++).Select(i => partNames[i])));
        int? heads = name switch
        {
            BigVisionNames.QEinsum or BigVisionNames.KvEinsum or BigVisionNames.QkvEinsum => axis,
            _ when name.EndsWith("attn_vec_einsum/w", StringComparison.Ordinal) => axis,
            _ when name.Contains("MultiHeadDotProductAttention_0/") && name.EndsWith("/kernel", StringComparison.Ordinal) =>
                name.Contains("/out/") ? axis : axis + 1,
            _ => null,
        };
        if (heads is { } h && h < 8) parts.Add(Heads(c.Indices(h), 1));
        return string.Join(", ", parts);
    }

    private static string Heads(IReadOnlyCollection<long> indices, int per) =>
        $"heads {Ranges(indices.Select(i => i / per).Distinct().ToList())}";

    /// <summary>0,1,2,5 as "0-2, 5".</summary>
    public static string Ranges(IReadOnlyCollection<long> sorted)
    {
        var runs = new List<string>();
        long? start = null, prev = null;
        foreach (var i in sorted.Order())
        {
            if (prev is { } p && i == p + 1) { prev = i; continue; }
            if (start is { } s) runs.Add(s == prev ? $"{s}" : $"{s}-{prev}");
            start = prev = i;
        }
        if (start is { } s2) runs.Add(s2 == prev ? $"{s2}" : $"{s2}-{prev}");
        return string.Join(", ", runs);
    }
}
