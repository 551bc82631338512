using System.Text.Json;
using PaliConvert.IO;
using PaliConvert.Tensors;

namespace PaliConvert.Formats.Safetensors;

/// <summary>Plans shards up to a size, then writes each one sequentially: header, then every tensor gathered in turn.</summary>
public static class ShardedWriter
{
    public sealed record Planned(TensorView View, DType DType)
    {
        public long Bytes => Shape.Bytes(View.OutputShape, DType);
    }

    public static List<List<Planned>> Plan(IReadOnlyList<Planned> tensors, long maxShardBytes)
    {
        var shards = new List<List<Planned>> { new() };
        long size = 0;
        foreach (var t in tensors)
        {
            if (size > 0 && size + t.Bytes > maxShardBytes) { shards.Add(new()); size = 0; }
            shards[^1].Add(t);
            size += t.Bytes;
        }
        return shards;
    }

    /// <summary>Writes the shards into <paramref name="folder"/>; one shard is model.safetensors, more get an index.</summary>
    public static void Write(string folder, List<List<Planned>> shards, IProgress<(string, double)>? progress = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };
        long total = shards.Sum(s => s.Sum(t => t.Bytes));
        var pinned = new PinnedBuffers(); // one set of write buffers for every shard
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var streamer = new WeightStreamer(shards.SelectMany(s => s)
            .Select(t => (t.View.Name, (IWeightData)new ViewData(t.View, t.DType))).ToList(), progress);
        var written = new List<string>();
        for (int i = 0; i < shards.Count; i++)
        {
            string name = shards.Count == 1 ? SafetensorsCheckpoint.SingleName : $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            written.Add(Path.Combine(folder, name));
            using var file = DirectFile.CreateNew(written[^1], out bool direct);
            using var fs = new WriteBehindStream(file, direct: direct, pinned: pinned);
            fs.Write(SafetensorsFile.BuildHeader(shards[i].Select(t => (t.View.Name, t.DType, t.View.OutputShape)), header));
            foreach (var _ in shards[i]) weightMap[streamer.WriteNext(fs).name] = name;
            fs.Flush();
        }
        DirectFile.FlushToDisk(written);
        if (shards.Count > 1)
        {
            var index = new { metadata = new { total_size = total }, weight_map = weightMap };
            File.WriteAllText(Path.Combine(folder, SafetensorsCheckpoint.IndexName),
                JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
    }
}
