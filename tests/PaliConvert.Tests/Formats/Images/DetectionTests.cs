using PaliConvert.Formats.Images;

namespace PaliConvert.Tests.Formats.Images;

/// <summary>PaliGemma's detection text as boxes in the original image's pixels, and drawn into a PNG PIL reads.</summary>
public class DetectionTests
{
    [Fact]
    public void LocQuadruplesAreYxYxIn1024BinsOfTheStretchedImage()
    {
        var d = Detection.Parse("<loc0256><loc0128><loc0768><loc0896> cat ; <loc0000><loc0000><loc1023><loc1023> big dog<eos>",
            640, 480);
        Assert.Equal(2, d.Count);
        Assert.Equal(("cat", 80.0, 120.0, 560.0, 360.0), (d[0].Label, d[0].XMin, d[0].YMin, d[0].XMax, d[0].YMax));
        Assert.Equal("big dog", d[1].Label);
        Assert.Equal(1023.0 / 1024 * 640, d[1].XMax, 9);
        Assert.Empty(Detection.Parse("<loc0001><loc0002> cut short", 10, 10));
        Assert.Equal([12, 7], Detection.Segments("<loc0001><loc0002><loc0003><loc0004><seg012><seg007> cat"));
    }

    [Fact]
    public void BoxesAndLabelsAreDrawnIntoAPngPilReads()
    {
        using var dir = new TempDir();
        var white = new RgbImage(100, 80, Enumerable.Repeat((byte)255, 100 * 80 * 3).ToArray());
        var drawn = BoxDrawing.Draw(white, Detection.Parse("<loc0256><loc0256><loc0768><loc0768> cat", 100, 80));
        string path = dir.File("boxes.png");
        using (var fs = File.Create(path)) PngWriter.Write(fs, drawn);
        var parts = TestPaths.Python("image_oracle.py", "pixels", path).Trim().Split(' ');
        var pil = new RgbImage(int.Parse(parts[0]), int.Parse(parts[1]), Convert.FromHexString(parts[2]));
        Assert.Equal(drawn.Pixels, pil.Pixels);
        Assert.Equal((byte)230, pil.At(50, 20, 0)); // the top edge, in the first colour (y 256/1024 * 80 = 20)
        Assert.Equal((byte)25, pil.At(50, 20, 1));
        Assert.Equal((byte)255, pil.At(50, 40, 1)); // inside: untouched
        int labelled = 0;
        for (int y = 0; y < 20; y++) for (int x = 25; x < 50; x++) if (pil.At(x, y, 1) == 25) labelled++;
        Assert.True(labelled > 10, "the label 'CAT' is drawn above the box");
    }
}
