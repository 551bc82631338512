using PaliConvert.Formats.Images;

namespace PaliConvert.Tests.Formats.Images;

/// <summary>Images as transformers' processor sees them, with PIL (python3-pil) as the oracle: decode, EXIF, RGB, resize.</summary>
public class ImageTests
{
    private static string Make(TempDir dir, string kind, int w, int h, int seed, int orientation = 0)
    {
        string path = dir.File($"{kind}-{w}x{h}-{seed}-{orientation}.{(kind == "jpeg" ? "jpg" : "png")}");
        var args = new List<string> { "write", kind, w.ToString(), h.ToString(), seed.ToString(), path };
        if (orientation > 0) args.Add(orientation.ToString());
        TestPaths.Python("image_oracle.py", [.. args]);
        return path;
    }

    private static RgbImage Pil(string path, int w = 0, int h = 0)
    {
        var parts = TestPaths.Python("image_oracle.py", w > 0 ? ["pixels", path, w.ToString(), h.ToString()] : ["pixels", path])
            .Trim().Split(' ');
        return new RgbImage(int.Parse(parts[0]), int.Parse(parts[1]), Convert.FromHexString(parts[2]));
    }

    private static int MaxDiff(RgbImage a, RgbImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        return a.Pixels.Zip(b.Pixels, (x, y) => Math.Abs(x - y)).Max();
    }

    [Theory]
    [InlineData(97, 61, 56, 56), InlineData(30, 200, 56, 56), InlineData(56, 56, 56, 56), InlineData(640, 480, 224, 224),
        InlineData(13, 7, 224, 224), InlineData(300, 56, 56, 56)]
    public void TheBicubicResizeIsPils(int w, int h, int ow, int oh)
    {
        using var dir = new TempDir();
        string png = Make(dir, "png-rgb", w, h, w + h);
        var ours = PilResize.Bicubic(ImageFile.Read(png), ow, oh);
        Assert.Equal(0, MaxDiff(Pil(png, ow, oh), ours));
    }

    [Theory]
    [InlineData("png-rgba"), InlineData("png-gray"), InlineData("png-gray16")]
    public void AlphaAndGrayBecomeRgbAsTransformersConvertsThem(string kind)
    {
        using var dir = new TempDir();
        string png = Make(dir, kind, 40, 30, 5);
        Assert.True(MaxDiff(Pil(png), ImageFile.Read(png)) <= 1);
    }

    [Theory]
    [InlineData(1), InlineData(2), InlineData(3), InlineData(4), InlineData(5), InlineData(6), InlineData(7), InlineData(8)]
    public void ExifOrientationIsAppliedAsExifTransposeDoes(int orientation)
    {
        using var dir = new TempDir();
        string png = Make(dir, "png-rgb", 23, 11, 9, orientation);
        Assert.Equal(0, MaxDiff(Pil(png), ImageFile.Read(png)));
        string jpg = Make(dir, "jpeg", 23, 11, 9, orientation);
        Assert.Equal(orientation, ExifOrientation.Of(File.ReadAllBytes(jpg)));
    }

    [Fact]
    public void AJpegDecodesWithinTheDecodersDifferenceOfPils()
    {
        using var dir = new TempDir();
        string jpg = Make(dir, "jpeg", 160, 120, 3, 6);
        var (pil, ours) = (Pil(jpg), ImageFile.Read(jpg));
        double mean = pil.Pixels.Zip(ours.Pixels, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(mean <= 1.0 && MaxDiff(pil, ours) <= 8, $"stb_image against libjpeg: mean {mean}, max {MaxDiff(pil, ours)}");
    }

    [Fact]
    public void AFileThatIsNotAnImageIsRefusedNamingIt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.png"), "not an image at all");
        var e = Assert.Throws<BadInputException>(() => ImageFile.Read(dir.File("notes.png")));
        Assert.Equal(dir.File("notes.png"), e.File);
        Assert.Contains("not an image", e.Message);
    }

    [Theory]
    [InlineData("png-rgb", 97, 61), InlineData("png-rgb", 30, 200), InlineData("png-rgba", 56, 56), InlineData("png-gray", 300, 40)]
    public void BigVisionsPreprocessingIsTfsBilinearWithoutAntialias(string kind, int w, int h)
    {
        using var dir = new TempDir();
        string png = Make(dir, kind, w, h, 4, orientation: 6); // big_vision's TF decode ignores EXIF orientation
        var want = Convert.FromHexString(TestPaths.Python("image_oracle.py", "bigvision", png, "56").Trim());
        var ours = BigVisionImage.Pixels(ImageFile.Read(png, asTensorFlow: true), 56);
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(want.AsSpan()).ToArray();
        Assert.Equal(expected.Length, ours.Length);
        float worst = expected.Zip(ours, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 2f / 255 + 1e-6f, $"max |ours - oracle| = {worst}"); // within one 8-bit step where float32 rounding differs
        Assert.True(expected.Zip(ours, (a, b) => a == b).Count(x => x) > 0.99 * ours.Length);
    }
}
