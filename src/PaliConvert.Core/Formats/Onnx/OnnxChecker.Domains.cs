using PaliConvert.Formats.Onnx.Proto;

namespace PaliConvert.Formats.Onnx;

/// <summary>Operator sets: each node's domain imported at a version ONNX Runtime has; MatMulNBits's shapes.</summary>
public static partial class OnnxChecker
{
    /// <summary>The versions of each domain ONNX Runtime 1.31 implements.</summary>
    private static readonly Dictionary<string, (long min, long max)> Domains = new()
    {
        [""] = (1, MaxOpset), ["ai.onnx"] = (1, MaxOpset), [GraphBuilder.Microsoft] = (1, 1), ["ai.onnx.ml"] = (1, 5),
    };

    private static void CheckDomains(ModelProto model, List<string> problems)
    {
        var imported = new Dictionary<string, long>();
        foreach (var op in model.OpsetImport)
        {
            if (!Domains.TryGetValue(op.Domain, out var range)) problems.Add($"operator set '{op.Domain}' is not one ONNX Runtime has");
            else if (op.Version < range.min || op.Version > range.max)
                problems.Add($"operator set '{Label(op.Domain)}' version {op.Version} is outside {range.min}..{range.max} " +
                    "(ONNX Runtime 1.31)");
            imported[op.Domain == "ai.onnx" ? "" : op.Domain] = op.Version;
        }
        var sizes = model.Graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray());
        foreach (var n in model.Graph.Node)
        {
            string domain = n.Domain == "ai.onnx" ? "" : n.Domain;
            if (!imported.ContainsKey(domain))
                problems.Add($"node '{n.Name}' ({n.OpType}) is in operator set '{Label(domain)}', which the model does not import");
            else if (domain == GraphBuilder.Microsoft && n.OpType == "MatMulNBits") CheckMatMulNBits(n, sizes, problems);
        }
    }

    private static string Label(string domain) => domain.Length == 0 ? "ai.onnx" : domain;

    /// <summary>
    /// B [N, ceil(K / block), block * bits / 8], scales N * blocks, zero points packed (N * ceil(blocks * bits / 8)) or
    /// one per block.
    /// </summary>
    private static void CheckMatMulNBits(NodeProto n, Dictionary<string, long[]> sizes, List<string> problems)
    {
        var attrs = n.Attribute.ToDictionary(a => a.Name, a => a.I);
        if (!attrs.TryGetValue("K", out long k) || !attrs.TryGetValue("N", out long outputs)
            || !attrs.TryGetValue("block_size", out long block))
        {
            problems.Add($"node '{n.Name}' (MatMulNBits) lacks K, N or block_size");
            return;
        }
        long bits = attrs.GetValueOrDefault("bits", 4);
        if (bits is not (2 or 4 or 8) || block < 16 || (block & (block - 1)) != 0 || k <= 0 || outputs <= 0)
        {
            problems.Add($"node '{n.Name}' (MatMulNBits): bits {bits}, block_size {block}, K {k}, N {outputs} are not a valid choice");
            return;
        }
        long blocks = (k + block - 1) / block;
        void Expect(int input, long[] dims, string what, long alsoCount = -1)
        {
            if (n.Input.Count <= input || !sizes.TryGetValue(n.Input[input], out var d)) return;
            long count = d.Aggregate(1L, (x, y) => x * y);
            if (count == alsoCount) return;
            if (count != dims.Aggregate(1L, (x, y) => x * y) || (dims.Length == 3 && !d.SequenceEqual(dims)))
                problems.Add($"node '{n.Name}' (MatMulNBits): {what} '{n.Input[input]}' is ({string.Join(", ", d)}), " +
                    $"K {k}, N {outputs}, block_size {block} need ({string.Join(", ", dims)})");
        }
        Expect(1, [outputs, blocks, block * bits / 8], "B");
        Expect(2, [outputs * blocks], "scales");
        Expect(3, [outputs * ((blocks * bits + 7) / 8)], "zero_points", alsoCount: outputs * blocks); // packed, or one float each
    }
}
