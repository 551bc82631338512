namespace PaliConvert.Formats.Images;

/// <summary>Detections drawn onto an image: each box outlined in its own colour, its label above it in a 3x5 pixel font.</summary>
public static class BoxDrawing
{
    private static readonly (byte r, byte g, byte b)[] Colours =
        [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230), (255, 225, 25)];

    // rows of 3 bits, top to bottom, for A-Z then 0-9
    private const string Glyphs = "25755 65656 34443 65556 74647 74644 34553 55755 72227 11152 55655 44447 57755 65555 25552 65644 " +
        "25563 65655 34216 72222 55557 55552 55775 55255 55222 71247 75557 26227 61247 61216 55711 74616 34757 71222 75757 75716";

    public static RgbImage Draw(RgbImage image, IReadOnlyList<Detection> detections)
    {
        var px = image.Pixels.ToArray();
        int thick = Math.Max(2, Math.Min(image.Width, image.Height) / 200), scale = Math.Max(1, image.Height / 160);
        for (int i = 0; i < detections.Count; i++)
        {
            var d = detections[i];
            var c = Colours[i % Colours.Length];
            int x0 = Clamp(d.XMin, image.Width), y0 = Clamp(d.YMin, image.Height), x1 = Clamp(d.XMax, image.Width),
                y1 = Clamp(d.YMax, image.Height);
            for (int t = 0; t < thick; t++)
            {
                for (int x = x0; x <= x1; x++) { Set(px, image, x, y0 + t, c); Set(px, image, x, y1 - t, c); }
                for (int y = y0; y <= y1; y++) { Set(px, image, x0 + t, y, c); Set(px, image, x1 - t, y, c); }
            }
            Text(px, image, d.Label.ToUpperInvariant(), x0 + thick, Math.Max(0, y0 - 6 * scale - 1), scale, c);
        }
        return image with { Pixels = px };
    }

    private static void Text(byte[] px, RgbImage im, string text, int x, int y, int scale, (byte, byte, byte) c)
    {
        foreach (char ch in text)
        {
            int g = ch is >= 'A' and <= 'Z' ? ch - 'A' : ch is >= '0' and <= '9' ? 26 + ch - '0' : -1;
            for (int row = 0; g >= 0 && row < 5; row++)
            {
                int bits = Glyphs[g * 6 + row] - '0';
                for (int col = 0; col < 3; col++)
                    if ((bits >> (2 - col) & 1) == 1)
                        for (int dy = 0; dy < scale; dy++)
                            for (int dx = 0; dx < scale; dx++) Set(px, im, x + col * scale + dx, y + row * scale + dy, c);
            }
            x += 4 * scale;
        }
    }

    private static int Clamp(double v, int size) => Math.Clamp((int)Math.Round(v), 0, size - 1);

    private static void Set(byte[] px, RgbImage im, int x, int y, (byte r, byte g, byte b) c)
    {
        if (x < 0 || y < 0 || x >= im.Width || y >= im.Height) return;
        int i = (y * im.Width + x) * 3;
        (px[i], px[i + 1], px[i + 2]) = c;
    }
}
