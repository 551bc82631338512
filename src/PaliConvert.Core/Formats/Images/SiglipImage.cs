namespace PaliConvert.Formats.Images;

/// <summary>
/// An image as PaliGemma takes it, NHWC float32 in [-1, 1]: SiglipImageProcessor's steps (transformers, as
/// PaliGemmaProcessor runs them): convert to RGB, PIL's bicubic resize to the model's size, rescale by 1/255 (in
/// double, then float32), normalise with mean 0.5 and std 0.5 (in float32).
/// </summary>
public static class SiglipImage
{
    public static float[] Pixels(RgbImage image, int size)
    {
        var resized = PilResize.Bicubic(image, size, size);
        var nhwc = new float[size * size * 3];
        for (int i = 0; i < nhwc.Length; i++)
        {
            float rescaled = (float)(resized.Pixels[i] * (1 / 255.0));
            nhwc[i] = (rescaled - 0.5f) / 0.5f;
        }
        return nhwc;
    }
}
