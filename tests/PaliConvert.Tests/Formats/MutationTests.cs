using System.Buffers.Binary;
using PaliConvert.Export;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Onnx;
using PaliConvert.Formats.Zip;
using PaliConvert.Inference;
using PaliConvert.Models;
using PaliConvert.Pipeline;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Formats;

/// <summary>
/// 10,000 deterministic damaged inputs through every reader (npz and npy, inputs.npz, safetensors, a sharded index,
/// config.json, ONNX): each must read correctly or fail with BadInputException naming the file, within a time limit
/// and an allocation bound. No other exception, no hang, no crash.
/// </summary>
public class MutationTests
{
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);
    private const long MaxAllocated = 256L << 20;

    private static void Campaign(string name, int cases, int seed, byte[] original, IReadOnlyList<(long, long)> hot,
        string target, Action<string> read, Func<Mutator, byte[]>? mutate = null, string? folder = null)
    {
        var m = new Mutator(seed);
        var failures = new List<string>();
        int refused = 0;
        for (int i = 0; i < cases && failures.Count < 5; i++)
        {
            var bytes = mutate?.Invoke(m) ?? m.Bytes(original, hot);
            File.WriteAllBytes(target, bytes);
            Exception? error = null;
            long allocated = 0;
            var run = Task.Run(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                try { read(target); }
                catch (Exception e) { error = e; }
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            if (!run.Wait(PerCase)) { failures.Add($"case {i}: no answer in {PerCase.TotalSeconds} s"); continue; }
            string where = folder ?? target;
            if (error is BadInputException && error.Message.Contains(where)) refused++;
            else if (error != null) failures.Add($"case {i}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
            if (allocated > MaxAllocated) failures.Add($"case {i}: allocated {allocated >> 20} MB");
        }
        Assert.True(failures.Count == 0, $"{name}: {string.Join("\n\n", failures)}");
        Assert.True(refused > cases / 10, $"{name}: only {refused} of {cases} damaged inputs were refused; the mutations miss");
    }

    /// <summary>Local headers, npy headers and the central directory of a zip.</summary>
    private static List<(long, long)> ZipRegions(string path)
    {
        using var f = new MappedFile(path);
        var entries = ZipDirectory.Read(f);
        var hot = entries.Select(e => (e.LocalHeaderOffset, e.DataOffset - e.LocalHeaderOffset + 160)).ToList();
        long cd = entries.Max(e => e.DataOffset + e.CompressedSize);
        hot.Add((cd, f.Length - cd));
        return hot;
    }

    [Theory]
    [InlineData("pg2-tiny/params.f32.npz", 1500, 1)]
    [InlineData("pg1-tiny/params.prefixed.npz", 1000, 2)]
    public void Npz(string seedFile, int cases, int seed)
    {
        using var dir = new TempDir();
        string source = TestPaths.Golden(seedFile);
        Campaign(seedFile, cases, seed, File.ReadAllBytes(source), ZipRegions(source), dir.File("m.npz"), p => Readers.Read("npz", p));
    }

    [Fact]
    public void DeflatedNpz()
    {
        using var dir = new TempDir();
        var npy = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8), }", NpzBytes.Floats(new float[64]));
        string source = NpzBytes.Deflated(dir.File("seed.npz"), ("a/w.npy", npy), ("b.npy", npy));
        Campaign("deflated npz", 500, 3, File.ReadAllBytes(source), ZipRegions(source), dir.File("m.npz"), p =>
        {
            using var ck = NpzCheckpoint.Open(p);
            Readers.ReadAll(ck);
        });
    }

    [Fact]
    public void InputsNpz()
    {
        using var dir = new TempDir();
        string source = TestPaths.Golden("pg2-tiny/inputs.npz");
        Campaign("inputs.npz", 1000, 4, File.ReadAllBytes(source), ZipRegions(source), dir.File("in.npz"),
            p => Readers.Read("inputs", p));
    }

    [Fact]
    public void Safetensors()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TestPaths.Golden("pg1-tiny/hf/model.safetensors"));
        long header = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Campaign("safetensors", 2000, 5, bytes, [(0, header)], dir.File("model.safetensors"), p => Readers.Read("safetensors", p));
    }

    [Fact]
    public void SafetensorsHeaderJson()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TestPaths.Golden("pg1-tiny/hf/model.safetensors"));
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, n);
        var data = bytes[(8 + n)..];
        Campaign("safetensors header JSON", 2000, 9, [], [], dir.File("model.safetensors"), p => Readers.Read("safetensors", p),
            m =>
            {
                var h = m.Json(header);
                return [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. data];
            });
    }

    [Fact]
    public void InputsWithInt64Extremes()
    {
        using var dir = new TempDir();
        var image = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 56, 56, 3), }", new byte[56 * 56 * 3 * 4]);
        Campaign("inputs int64 extremes", 500, 10, [], [], dir.File("in.npz"), p => Readers.Read("inputs", p), m =>
        {
            var ids = Enumerable.Range(0, 6).Select(i => i == 0 ? 2 : m.Extreme()).SelectMany(BitConverter.GetBytes).ToArray();
            var mask = Enumerable.Range(0, 6).Select(i => i < 3 ? 0L : m.Extreme() % 3).SelectMany(BitConverter.GetBytes).ToArray();
            string seed = NpzBytes.Stored(dir.File($"seed-{Guid.NewGuid():N}.npz"), false, ("image_nhwc.npy", image),
                ("text.npy", NpzBytes.Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 6), }", ids)),
                ("mask_ar_prefixlm.npy", NpzBytes.Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 6), }", mask)));
            var bytes = File.ReadAllBytes(seed);
            File.Delete(seed);
            return bytes;
        });
    }

    [Fact]
    public void ShardIndex()
    {
        using var dir = new TempDir();
        string folder = Readers.Folder("index", dir), index = Path.Combine(folder, Readers.FileName("index"));
        string json = File.ReadAllText(index);
        Campaign("index", 1000, 6, [], [], index, p => Readers.Read("index", p), m => m.Json(json), folder);
    }

    [Fact]
    public void ConfigJson()
    {
        using var dir = new TempDir();
        string json = File.ReadAllText(TestPaths.Golden("pg2-tiny/hf/config.json"));
        Campaign("config.json", 2000, 7, [], [], dir.File("config.json"), p => Readers.Read("config", p), m => m.Json(json));
    }

    [Fact]
    public void OnnxModel()
    {
        using var dir = new TempDir();
        string model = Path.Combine(Readers.Folder("onnx", dir), Readers.FileName("onnx"));
        var bytes = File.ReadAllBytes(model);
        Campaign("model.onnx", 1000, 8, bytes, [(0, bytes.Length)], model, p => Readers.Read("onnx", p));
    }
}
