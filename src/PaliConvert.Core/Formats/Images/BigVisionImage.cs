namespace PaliConvert.Formats.Images;

/// <summary>
/// An image as big_vision's PaliGemma preprocessing makes it, "decode|resize(224)|value_range(-1, 1)"
/// (big_vision/pp/ops_image.py get_decode, get_resize; ops_general.py get_value_range): tf.io.decode_image with 3
/// channels (no EXIF orientation, alpha dropped), TF2's tf.image.resize bilinear without antialias (half-pixel centres,
/// in float32), clipped to [0, 255] and cast back to uint8 (truncating), then x / 255 * 2 - 1.
/// </summary>
public static class BigVisionImage
{
    public static float[] Pixels(RgbImage image, int size)
    {
        var rows = Weights(image.Height, size);
        var cols = Weights(image.Width, size);
        var nhwc = new float[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int c = 0; c < 3; c++)
                {
                    var (y0, y1, ly) = rows[y];
                    var (x0, x1, lx) = cols[x];
                    float tl = image.At(x0, y0, c), tr = image.At(x1, y0, c), bl = image.At(x0, y1, c), br = image.At(x1, y1, c);
                    float top = tl + (tr - tl) * lx, bottom = bl + (br - bl) * lx;
                    float v = Math.Clamp(top + (bottom - top) * ly, 0f, 255f);
                    float u8 = (byte)v; // tf.cast to uint8 truncates
                    nhwc[(y * size + x) * 3 + c] = u8 / 255f * 2f - 1f;
                }
        return nhwc;
    }

    /// <summary>TF's compute_interpolation_weights with the half-pixel scaler, in float32.</summary>
    private static (int lower, int upper, float lerp)[] Weights(int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        var w = new (int, int, float)[outSize];
        for (int o = 0; o < outSize; o++)
        {
            float at = (o + 0.5f) * scale - 0.5f, floor = MathF.Floor(at);
            w[o] = (Math.Max((int)floor, 0), Math.Min((int)MathF.Ceiling(at), inSize - 1), at - floor);
        }
        return w;
    }
}
