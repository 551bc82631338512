using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace PaliConvert.Formats.Images;

/// <summary>An 8-bit RGB PNG (IHDR, one zlib IDAT, IEND; rows unfiltered).</summary>
public static class PngWriter
{
    public static void Write(Stream output, RgbImage image)
    {
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < image.Height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(image.Pixels, y * image.Width * 3, image.Width * 3);
            }
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        (header[8], header[9]) = (8, 2); // 8 bits per channel, RGB
        Chunk(output, "IHDR", header);
        Chunk(output, "IDAT", raw.ToArray());
        Chunk(output, "IEND", []);
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = new Crc32();
        crc.Append(head.AsSpan(4));
        crc.Append(data);
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc.GetCurrentHashAsUInt32());
        s.Write(tail);
    }
}
