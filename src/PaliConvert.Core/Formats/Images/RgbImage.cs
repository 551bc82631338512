namespace PaliConvert.Formats.Images;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    public byte At(int x, int y, int c) => Pixels[(y * Width + x) * 3 + c];
}
