namespace PaliConvert.Formats.Zip;

public enum ZipMethod : ushort { Stored = 0, Deflated = 8 }

/// <summary>One member of a zip, as its central directory and local header describe it.</summary>
public sealed record ZipEntry(string Name, ZipMethod Method, long CompressedSize, long UncompressedSize, uint Crc32,
    long LocalHeaderOffset, long DataOffset);
