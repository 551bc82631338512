using System.Security.Cryptography;
using System.Text.Json;
using PaliConvert.Formats.Npz;
using PaliConvert.Tensors;

namespace PaliConvert.Tests.Formats.Npz;

public class NpzReaderTests
{
    public static TheoryData<string, string> GoldenFiles()
    {
        var d = new TheoryData<string, string>();
        foreach (var c in TestPaths.Cases) foreach (var f in TestPaths.Flavours) d.Add(c, f);
        return d;
    }

    [Theory, MemberData(nameof(GoldenFiles))]
    public void GoldenNpzReadsExactlyWhatNumpyReads(string model, string flavour)
    {
        string path = TestPaths.Golden($"{model}/params.{flavour}.npz");
        using var ck = NpzCheckpoint.Open(path);
        var oracle = JsonDocument.Parse(TestPaths.Python("npz_oracle.py", path)).RootElement;
        Assert.Equal(flavour == "prefixed", ck.HadParamsPrefix);
        Assert.Equal(oracle.EnumerateObject().Count(), ck.Tensors.Count);
        foreach (var p in oracle.EnumerateObject())
        {
            string name = flavour == "prefixed" ? p.Name[NpzCheckpoint.ParamsPrefix.Length..] : p.Name;
            var t = ck.Get(name);
            Assert.Equal(p.Value[0].EnumerateArray().Select(e => e.GetInt64()), t.Shape);
            Assert.Equal(p.Value[1].GetString(), NpyDTypeMap.ToDescr(t.DType));
            Assert.Equal(p.Value[2].GetString(), NpzCopy.Sha256(t));
        }
    }

    [Theory, MemberData(nameof(GoldenFiles))]
    public void GoldenNpzMatchesTheManifest(string model, string flavour)
    {
        using var ck = NpzCheckpoint.Open(TestPaths.Golden($"{model}/params.{flavour}.npz"));
        var manifest = JsonDocument.Parse(File.ReadAllText(TestPaths.Golden($"{model}/manifest.json"))).RootElement.GetProperty("tensors");
        foreach (var p in manifest.EnumerateObject())
        {
            var t = ck.Get(p.Name);
            Assert.Equal(p.Value[0].EnumerateArray().Select(e => e.GetInt64()), t.Shape);
            var expected = flavour switch
            {
                "f32" => DType.F32,
                "bf16" => DType.BF16,
                _ => p.Name.StartsWith("llm/layers/attn/") ? DType.F32 : DType.F16,
            };
            Assert.Equal(expected, t.DType);
        }
    }

    [Fact]
    public void MixedFlavourHoldsTheF32ValuesRoundedToF16()
    {
        using var f32 = NpzCheckpoint.Open(TestPaths.Golden("pg1-tiny/params.f32.npz"));
        using var mixed = NpzCheckpoint.Open(TestPaths.Golden("pg1-tiny/params.mixed.npz"));
        var a = f32.Get("llm/embedder/input_embedding");
        var b = mixed.Get("llm/embedder/input_embedding");
        var fa = new float[a.Elements];
        var fb = new float[b.Elements];
        a.ReadF32(0, fa);
        b.ReadF32(0, fb);
        for (int i = 0; i < fa.Length; i++) Assert.Equal((float)(Half)fa[i], fb[i]);
    }

    [Fact]
    public void DeflatedMembersReadLikeStoredOnes()
    {
        using var dir = new TempDir();
        var npy = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", NpzBytes.Floats(1, 2, 3, 4, 5, 6));
        var scalar = NpzBytes.Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(42L), version: 2);
        NpzBytes.Deflated(dir.File("d.npz"), ("a/b.npy", npy), ("s.npy", scalar));
        using var ck = NpzCheckpoint.Open(dir.File("d.npz"));
        var t = ck.Get("a/b");
        Assert.Equal([2L, 3L], t.Shape);
        var v = new float[6];
        t.ReadF32(0, v);
        Assert.Equal([1f, 2, 3, 4, 5, 6], v);
        Assert.Equal(42L, BitConverter.ToInt64(ck.Get("s").Data.Span(0, 8)));
    }

    [Fact]
    public void Zip64RecordsAreReadAndNumpyAgrees()
    {
        using var dir = new TempDir();
        var npy = NpzBytes.Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", [0, 0x3C, 0, 0x40, 0, 0x42]);
        string path = NpzBytes.Stored(dir.File("z64.npz"), forceZip64: true, ("x.npy", npy), ("y.npy", npy));
        using var ck = NpzCheckpoint.Open(path);
        var v = new float[3];
        ck.Get("y").ReadF32(0, v);
        Assert.Equal([1f, 2, 3], v);
        var oracle = JsonDocument.Parse(TestPaths.Python("npz_oracle.py", path)).RootElement;
        Assert.Equal(NpzCopy.Sha256(ck.Get("x")), oracle.GetProperty("x")[2].GetString());
    }

    [Fact]
    public void TruncatedZipIsRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TestPaths.Golden("pg1-tiny/params.f32.npz"));
        File.WriteAllBytes(dir.File("cut.npz"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(dir.File("cut.npz")));
        Assert.Contains("cut.npz", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void CentralDirectoryClaimingMoreBytesThanTheFileHoldsIsRefused()
    {
        using var dir = new TempDir();
        var npy = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", NpzBytes.Floats(1, 2, 3, 4));
        var path = NpzBytes.Stored(dir.File("t.npz"), false, ("w.npy", npy));
        var bytes = File.ReadAllBytes(path);
        int cd = bytes.Length - 22 - 46 - "w.npy".Length; // the one central entry, before the end record
        Assert.Equal(0x02014b50u, BitConverter.ToUInt32(bytes, cd));
        BitConverter.GetBytes((uint)(npy.Length + 1000)).CopyTo(bytes, cd + 20); // compressed size
        BitConverter.GetBytes((uint)(npy.Length + 1000)).CopyTo(bytes, cd + 24); // uncompressed size
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(path));
        Assert.Contains("member 'w.npy' needs bytes", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void CorruptLocalHeaderIsRefused()
    {
        using var dir = new TempDir();
        var npy = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", NpzBytes.Floats(1));
        var path = NpzBytes.Stored(dir.File("c.npz"), false, ("x.npy", npy));
        var bytes = File.ReadAllBytes(path);
        bytes[0] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(path));
        Assert.Contains("'x.npy'", e.Message);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void CorruptDeflatedDataIsRefusedNamingTheMember()
    {
        using var dir = new TempDir();
        var npy = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }",
            NpzBytes.Floats(Enumerable.Range(0, 64).Select(i => (float)i).ToArray()));
        var path = NpzBytes.Deflated(dir.File("d.npz"), ("w.npy", npy));
        var bytes = File.ReadAllBytes(path);
        for (int i = 40; i < 60; i++) bytes[i] ^= 0x5A; // inside the compressed stream
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<BadInputException>(() => NpzCheckpoint.Open(path));
        Assert.Contains("'w.npy'", e.Message);
    }

    public static TheoryData<string, byte[], string> HostileHeaders() => new()
    {
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", NpzBytes.Floats(new float[10]),
            "header says f32 (3, 4) = 48 bytes but the member holds 40" },
        { "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new byte[8], "big-endian" },
        { "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", new byte[8], "Fortran" },
        { "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8], "never unpickled" },
        { "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[8], "structured dtype" },
        { "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8], "unsupported dtype '<c8'" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", new byte[8], "malformed .npy header" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", new byte[8], "" },
    };

    [Theory, MemberData(nameof(HostileHeaders))]
    public void HostileNpyHeadersAreRefusedNamingFileAndMember(string dict, byte[] data, string expected)
    {
        using var dir = new TempDir();
        var path = NpzBytes.Stored(dir.File("h.npz"), false, ("llm/x.npy", NpzBytes.Npy(dict, data)));
        var e = Assert.ThrowsAny<Exception>(() => NpzCheckpoint.Open(path));
        Assert.True(e is BadInputException or OverflowException, e.ToString());
        if (e is BadInputException)
        {
            Assert.Contains("h.npz", e.Message);
            Assert.Contains("'llm/x.npy'", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void UnknownNpyVersionIsRefused()
    {
        var npy = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        npy[6] = 4;
        var e = Assert.Throws<BadInputException>(() => NpyHeader.Parse(npy, "f.npz: member 'm'"));
        Assert.Contains("version 4", e.Message);
    }

    [Fact]
    public void WrittenHeaderParsesBack()
    {
        foreach (var shape in new long[][] { [], [7], [2, 3, 4] })
        {
            var h = NpyHeader.Write(DType.BF16, shape);
            Assert.Equal(0, h.Length % 64);
            var parsed = NpyHeader.Parse(h, "x");
            Assert.Equal(DType.BF16, parsed.DType);
            Assert.Equal(shape, parsed.Shape);
            Assert.Equal(h.Length, parsed.DataOffset);
        }
    }
}
