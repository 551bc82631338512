namespace PaliConvert.Formats.Images;

/// <summary>Whose image preprocessing to reproduce: transformers' SiglipImageProcessor, or big_vision's.</summary>
public enum ImagePreprocess { Hf, BigVision }

public static class ImagePreprocessing
{
    /// <summary>The image file as NHWC float32 in [-1, 1] at <paramref name="size"/> px, and the image as decoded.</summary>
    public static (float[] pixels, RgbImage original) Load(string path, int size, ImagePreprocess how)
    {
        var image = ImageFile.Read(path, asTensorFlow: how == ImagePreprocess.BigVision);
        return (how == ImagePreprocess.BigVision ? BigVisionImage.Pixels(image, size) : SiglipImage.Pixels(image, size), image);
    }
}
