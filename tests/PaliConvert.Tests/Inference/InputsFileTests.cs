using PaliConvert.Inference;

namespace PaliConvert.Tests.Inference;

/// <summary>Numbers as they enter: token ids past int32, pixels that are not finite, a text longer than is run.</summary>
public class InputsFileTests
{
    private static string Inputs(TempDir dir, string textDescr, byte[] text, int tokens, float pixel = 0)
    {
        var image = NpzBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 4, 3), }",
            NpzBytes.Floats(Enumerable.Repeat(0f, 47).Append(pixel).ToArray()));
        var txt = NpzBytes.Npy($"{{'descr': '{textDescr}', 'fortran_order': False, 'shape': (1, {tokens}), }}", text);
        return NpzBytes.Stored(dir.File("in.npz"), false, ("image_nhwc.npy", image), ("text.npy", txt));
    }

    [Theory]
    [InlineData(2147483648L), InlineData(-2147483649L), InlineData(long.MaxValue), InlineData(long.MinValue)]
    public void Int64TokensBeyondInt32AreRefusedNamingTheArray(long value)
    {
        using var dir = new TempDir();
        string path = Inputs(dir, "<i8", [.. BitConverter.GetBytes(2L), .. BitConverter.GetBytes(value)], 2);
        var e = Assert.Throws<BadInputException>(() => InputsFile.Load(path, null));
        Assert.Equal(path, e.File);
        Assert.Contains($"'text' holds {value} at element 1", e.Message);
    }

    [Theory]
    [InlineData(float.NaN), InlineData(float.PositiveInfinity), InlineData(float.NegativeInfinity)]
    public void PixelsThatAreNotFiniteAreRefused(float pixel)
    {
        using var dir = new TempDir();
        string path = Inputs(dir, "<i4", BitConverter.GetBytes(2), 1, pixel);
        var e = Assert.Throws<BadInputException>(() => InputsFile.Load(path, null));
        Assert.Contains("'image_nhwc' holds", e.Message);
        Assert.Contains("element 47", e.Message);
    }

    [Fact]
    public void ATextLongerThanTheLimitIsRefusedAndOneAtTheLimitIsRead()
    {
        using var dir = new TempDir();
        int n = InputsFile.MaxTextTokens;
        var ok = InputsFile.Load(Inputs(dir, "<i4", new byte[4 * n], n), null);
        Assert.Equal(n, ok.TextLength);
        File.Delete(dir.File("in.npz"));
        var e = Assert.Throws<BadInputException>(() => InputsFile.Load(Inputs(dir, "<i4", new byte[4 * (n + 1)], n + 1), null));
        Assert.Contains($"'text' has {n + 1:N0} tokens; at most {n:N0}", e.Message);
    }
}
