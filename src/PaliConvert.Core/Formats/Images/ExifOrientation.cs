using System.Buffers.Binary;

namespace PaliConvert.Formats.Images;

/// <summary>
/// The EXIF Orientation tag (0x0112) of a JPEG (APP1 "Exif") or PNG (eXIf chunk), and the transpose PIL's
/// ImageOps.exif_transpose applies for it, which transformers' load_image calls before any processing.
/// </summary>
public static class ExifOrientation
{
    /// <summary>1 (as stored) to 8; 1 when the file states none or its EXIF cannot be read.</summary>
    public static int Of(ReadOnlySpan<byte> file)
    {
        var tiff = Tiff(file);
        return tiff.IsEmpty ? 1 : Tag(tiff.ToArray());
    }

    private static ReadOnlySpan<byte> Tiff(ReadOnlySpan<byte> f)
    {
        if (f.Length > 4 && f[0] == 0xFF && f[1] == 0xD8)
            for (int p = 2; p + 4 <= f.Length && f[p] == 0xFF;)
            {
                byte marker = f[p + 1];
                int len = BinaryPrimitives.ReadUInt16BigEndian(f[(p + 2)..]);
                if (marker == 0xDA || len < 2 || p + 2 + len > f.Length) break; // image data: no EXIF comes after
                var body = f.Slice(p + 4, len - 2);
                if (marker == 0xE1 && body.Length > 6 && body[..6].SequenceEqual("Exif\0\0"u8)) return body[6..];
                p += 2 + len;
            }
        if (f.Length > 8 && f[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            for (long p = 8; p + 12 <= f.Length;)
            {
                long len = BinaryPrimitives.ReadUInt32BigEndian(f[(int)p..]);
                if (p + 12 + len > f.Length) break;
                if (f.Slice((int)p + 4, 4).SequenceEqual("eXIf"u8)) return f.Slice((int)p + 8, (int)len);
                p += 12 + len;
            }
        return [];
    }

    private static int Tag(byte[] t)
    {
        if (t.Length < 8) return 1;
        bool le = t[0] == 'I' && t[1] == 'I';
        if (!le && !(t[0] == 'M' && t[1] == 'M')) return 1;
        uint U32(int at) => le ? BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(t.AsSpan(at));
        ushort U16(int at) =>
            le ? BinaryPrimitives.ReadUInt16LittleEndian(t.AsSpan(at)) : BinaryPrimitives.ReadUInt16BigEndian(t.AsSpan(at));
        long ifd = U32(4);
        if (ifd + 2 > t.Length) return 1;
        int count = U16((int)ifd);
        for (int i = 0; i < count; i++)
        {
            long e = ifd + 2 + 12L * i;
            if (e + 12 > t.Length) return 1;
            if (U16((int)e) == 0x0112) return U16((int)e + 8) is >= 1 and <= 8 and var o ? o : 1;
        }
        return 1;
    }

    /// <summary>The image as PIL's exif_transpose leaves it for <paramref name="orientation"/>.</summary>
    public static RgbImage Apply(RgbImage im, int orientation)
    {
        if (orientation is < 2 or > 8) return im;
        int w = im.Width, h = im.Height;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var px = new byte[im.Pixels.Length];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y), // FLIP_LEFT_RIGHT
                    3 => (w - 1 - x, h - 1 - y), // ROTATE_180
                    4 => (x, h - 1 - y), // FLIP_TOP_BOTTOM
                    5 => (y, x), // TRANSPOSE
                    6 => (y, h - 1 - x), // ROTATE_270 (clockwise)
                    7 => (w - 1 - y, h - 1 - x), // TRANSVERSE
                    _ => (w - 1 - y, x), // ROTATE_90 (counter-clockwise)
                };
                im.Pixels.AsSpan((sy * w + sx) * 3, 3).CopyTo(px.AsSpan((y * ow + x) * 3));
            }
        return new RgbImage(ow, oh, px);
    }
}
