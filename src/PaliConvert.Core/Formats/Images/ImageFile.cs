using StbImageSharp;

namespace PaliConvert.Formats.Images;

/// <summary>
/// An image file read as transformers' load_image and convert_to_rgb leave it: decoded by StbImageSharp (PNG, JPEG,
/// BMP, GIF, TGA; managed code, no native library), turned by its EXIF orientation, and, where it has an alpha channel,
/// composited over white with PIL's integer arithmetic (Image.alpha_composite); grayscale becomes three equal channels.
/// </summary>
public static class ImageFile
{
    public const long MaxBytes = 256L << 20;
    /// <summary>PIL's DecompressionBombError threshold (twice MAX_IMAGE_PIXELS).</summary>
    public const long MaxPixels = 178_956_970;

    /// <summary>
    /// The image as transformers loads it, or with <paramref name="asTensorFlow"/> as tf.io.decode_image(channels=3)
    /// does (big_vision): no EXIF orientation, and the alpha channel dropped rather than composited.
    /// </summary>
    public static RgbImage Read(string path, bool asTensorFlow = false)
    {
        var bytes = Tensors.RegularFile.ReadAllBytes(path, MaxBytes);
        ImageInfo? info;
        using (var s = new MemoryStream(bytes, writable: false)) info = ImageInfo.FromStream(s);
        if (info is not { Width: > 0, Height: > 0 } i)
            throw new BadInputException(path, $"{path}: not an image this tool reads (PNG, JPEG, BMP, GIF or TGA)");
        if ((long)i.Width * i.Height > MaxPixels)
            throw new BadInputException(path, $"{path}: {i.Width}x{i.Height} pixels is more than the {MaxPixels:N0} PIL accepts");
        if (!asTensorFlow && Gray16Png.Is(bytes)) return ExifOrientation.Apply(Gray16Png.Decode(path, bytes), ExifOrientation.Of(bytes));
        ImageResult image;
        try { image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlueAlpha); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new BadInputException(path, $"{path}: cannot be decoded: {e.Message}", inner: e);
        }
        return asTensorFlow ? DropAlpha(image) : ExifOrientation.Apply(OverWhite(image), ExifOrientation.Of(bytes));
    }

    /// <summary>RGBA over an opaque white background as PIL's alpha_composite computes it (PRECISION_BITS 7).</summary>
    private static RgbImage OverWhite(ImageResult im)
    {
        var rgb = new byte[im.Width * im.Height * 3];
        for (int p = 0; p < im.Width * im.Height; p++)
        {
            int a = im.Data[p * 4 + 3];
            for (int c = 0; c < 3; c++)
            {
                int s = im.Data[p * 4 + c];
                rgb[p * 3 + c] = a switch
                {
                    255 => (byte)s,
                    0 => 255,
                    _ => (byte)(Div255(s * (a << 7) + 255 * ((255 - a) << 7) + (0x80 << 7)) >> 7),
                };
            }
        }
        return new RgbImage(im.Width, im.Height, rgb);
    }

    private static RgbImage DropAlpha(ImageResult im)
    {
        var rgb = new byte[im.Width * im.Height * 3];
        for (int p = 0; p < im.Width * im.Height; p++) im.Data.AsSpan(p * 4, 3).CopyTo(rgb.AsSpan(p * 3));
        return new RgbImage(im.Width, im.Height, rgb);
    }

    private static int Div255(int x) => ((x >> 8) + x) >> 8;
}
