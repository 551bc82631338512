using PaliConvert.Formats;
using PaliConvert.Pipeline;

namespace PaliConvert.Tests.Tensors;

/// <summary>A byte-split .npz (as `split -b` makes it) is read in place as one checkpoint by every command that reads one.</summary>
public class SplitPartsTests
{
    /// <summary>The file cut into parts of <paramref name="size"/> bytes named NAME.partaa, NAME.partab, ... as split names them.</summary>
    private static string Split(string source, string whole, int size)
    {
        var bytes = File.ReadAllBytes(source);
        for (int i = 0, n = 0; i < bytes.Length; i += size, n++)
            File.WriteAllBytes($"{whole}.part{(char)('a' + n / 26)}{(char)('a' + n % 26)}", bytes[i..Math.Min(bytes.Length, i + size)]);
        return whole;
    }

    [Theory]
    [InlineData("pg1-tiny", "f32"), InlineData("pg2-tiny", "bf16"), InlineData("pg2-tiny", "mixed")]
    public void PartsReadAsTheWholeFile(string model, string flavour)
    {
        using var dir = new TempDir();
        string source = TestPaths.Golden($"{model}/params.{flavour}.npz");
        string parts = Split(source, dir.File("m.npz"), Environment.SystemPageSize * 3);
        Assert.True(Directory.GetFiles(dir.Path, "m.npz.part*").Length > 3);
        using (var a = CheckpointReader.Open(source))
        using (var b = CheckpointReader.Open(parts))
        using (var c = CheckpointReader.Open(parts + ".partab")) // any part names the whole
        {
            Assert.Equal(a.Tensors.Select(t => t.Name), b.Tensors.Select(t => t.Name));
            foreach (var t in a.Tensors)
            {
                Assert.True(NpzCopy.Bytes(t).SequenceEqual(NpzCopy.Bytes(b.Get(t.Name))), t.Name);
                Assert.True(NpzCopy.Bytes(t).SequenceEqual(NpzCopy.Bytes(c.Get(t.Name))), t.Name);
            }
        }
        var inputs = ModelRuns.GoldenInputs(model);
        Assert.Equal(ModelRuns.Reference(source, inputs).logits, ModelRuns.Reference(parts, inputs).logits);
        var hf = Jax2Hf.Run(new Jax2HfOptions(parts, dir.File("hf"), TestPaths.Mappings));
        Assert.True(Verify.Run(new VerifyOptions(parts, hf, MappingsFolder: TestPaths.Mappings)).Passed);
    }

    [Fact]
    public void APartThatIsNotWholePagesIsRefusedByName()
    {
        using var dir = new TempDir();
        string parts = Split(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("m.npz"), 5000);
        var e = Assert.ThrowsAny<BadInputException>(() => CheckpointReader.Open(parts).Dispose());
        Assert.Equal(parts + ".partaa", e.File);
        Assert.Contains("pages", e.Message);
    }

    [Fact]
    public void APartIsNeverAnOutput()
    {
        using var dir = new TempDir();
        string parts = Split(TestPaths.Golden("pg1-tiny/params.f32.npz"), dir.File("m.npz"), Environment.SystemPageSize * 8);
        var before = File.ReadAllBytes(parts + ".partab");
        var (code, _, err) = CliRunner.Run("jax2hf", parts, parts + ".partab", "--force"); // one of its own input's parts
        Assert.Equal(2, code);
        Assert.Contains("is the input", err); // refused as one of the input's parts, not for another reason
        Assert.True(File.ReadAllBytes(parts + ".partab").SequenceEqual(before), err);
    }
}
