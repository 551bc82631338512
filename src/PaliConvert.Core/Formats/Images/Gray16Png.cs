using System.Buffers.Binary;
using System.IO.Compression;

namespace PaliConvert.Formats.Images;

/// <summary>
/// 16-bit grayscale PNGs as PIL reads them: mode "I", whose conversion to RGB clips each value to 255 rather than
/// scaling it (a 16-bit gray image is mostly white to transformers). StbImageSharp keeps the high byte instead, so
/// these files are decoded here: chunks, zlib, the five row filters (non-interlaced images).
/// </summary>
public static class Gray16Png
{
    /// <summary>Whether the file is a 16-bit grayscale PNG without alpha (colour type 0).</summary>
    public static bool Is(ReadOnlySpan<byte> f) => f.Length > 33 && f[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47,
        0x0D, 0x0A, 0x1A, 0x0A]) && f.Slice(12, 4).SequenceEqual("IHDR"u8) && f[24] == 16 && f[25] == 0;

    public static RgbImage Decode(string path, byte[] f)
    {
        int w = BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(16)), h = BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(20));
        if (f[28] != 0) throw new BadInputException(path, $"{path}: an interlaced 16-bit grayscale PNG is not read; save it without " +
            "interlacing");
        var idat = new MemoryStream();
        for (int p = 8; p + 12 <= f.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(p));
            if (len < 0 || p + 12L + len > f.Length) throw new BadInputException(path, $"{path}: a PNG chunk runs past the end");
            if (f.AsSpan(p + 4, 4).SequenceEqual("IDAT"u8)) idat.Write(f, p + 8, len);
            p += 12 + len;
        }
        int stride = w * 2;
        if ((long)h * (stride + 1) > int.MaxValue) throw new BadInputException(path, $"{path}: {w}x{h} is too large for one image");
        var raw = new byte[h * (stride + 1)];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            z.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new BadInputException(path, $"{path}: its image data does not inflate: {e.Message}", inner: e);
        }
        var rgb = new byte[w * h * 3];
        var prior = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < h; y++)
        {
            Unfilter(path, raw[y * (stride + 1)], raw.AsSpan(y * (stride + 1) + 1, stride), prior, row);
            for (int x = 0; x < w; x++)
            {
                int v = row[2 * x] << 8 | row[2 * x + 1];
                byte c = (byte)Math.Min(v, 255); // PIL's I -> RGB clips
                rgb[(y * w + x) * 3] = rgb[(y * w + x) * 3 + 1] = rgb[(y * w + x) * 3 + 2] = c;
            }
            (prior, row) = (row, prior);
        }
        return new RgbImage(w, h, rgb);
    }

    private static void Unfilter(string path, byte filter, ReadOnlySpan<byte> line, byte[] prior, byte[] row)
    {
        const int bpp = 2;
        for (int i = 0; i < line.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            row[i] = (byte)(line[i] + filter switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                4 => Paeth(a, b, c),
                _ => throw new BadInputException(path, $"{path}: PNG row filter {filter} is not one of 0-4"),
            });
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
