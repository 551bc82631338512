namespace PaliConvert.Formats.Zip;

/// <summary>
/// The zip records PaliConvert reads and writes (APPNOTE.TXT 6.3), their signatures and field offsets, in one place
/// for ZipDirectory and ZipWriter.
/// </summary>
internal static class ZipRecords
{
    public const uint LocalSig = 0x04034b50, CentralSig = 0x02014b50, EndSig = 0x06054b50;
    public const uint End64Sig = 0x06064b50, End64LocatorSig = 0x07064b50;
    /// <summary>A 32-bit size or offset that the zip64 extra field holds instead.</summary>
    public const uint Saturated32 = 0xFFFFFFFF;
    public const ushort Saturated16 = 0xFFFF, Zip64ExtraId = 1, EncryptedFlag = 1, DataDescriptorFlag = 8, Utf8Flag = 0x800;
    public const ushort ZipVersion = 45; // zip64
    public const ushort DosDate1980 = 0x21; // 1980-01-01: reproducible output
    public const uint UnixRwRR = 0x01A40000; // external attributes: -rw-r--r--

    /// <summary>Local file header.</summary>
    public static class Local
    {
        public const int Size = 30, Version = 4, Flags = 6, Method = 8, Date = 12, Crc = 14, CompressedSize = 18,
            UncompressedSize = 22, NameLength = 26, ExtraLength = 28;
    }

    /// <summary>Central directory file header.</summary>
    public static class Central
    {
        public const int Size = 46, VersionMadeBy = 4, VersionNeeded = 6, Flags = 8, Method = 10, Date = 14, Crc = 16,
            CompressedSize = 20, UncompressedSize = 24, NameLength = 28, ExtraLength = 30, CommentLength = 32,
            ExternalAttributes = 38, LocalOffset = 42;
    }

    /// <summary>End of central directory record (a comment of up to 65,535 bytes follows).</summary>
    public static class End
    {
        public const int Size = 22, EntriesHere = 8, Entries = 10, CdSize = 12, CdOffset = 16, CommentLength = 20;
        public const int MaxComment = 0xFFFF;
    }

    /// <summary>Zip64 end of central directory record.</summary>
    public static class End64
    {
        public const int Size = 56, RecordSize = 4, VersionMadeBy = 12, VersionNeeded = 14, EntriesHere = 24, Entries = 32,
            CdSize = 40, CdOffset = 48;
    }

    /// <summary>Zip64 end of central directory locator (just before the end record).</summary>
    public static class End64Locator
    {
        public const int Size = 20, Offset = 8, Disks = 16;
    }

    /// <summary>The longest member name a zip record holds (its length is 16 bits).</summary>
    public const int MaxNameBytes = 0xFFFF;

    /// <summary>A member name as the records carry it: UTF-8, at most <see cref="MaxNameBytes"/>.</summary>
    public static byte[] NameBytes(string name)
    {
        var b = System.Text.Encoding.UTF8.GetBytes(name);
        return b.Length <= MaxNameBytes ? b : throw new InvalidOperationException($"a member name of {b.Length} bytes (at most 65,535)");
    }

    /// <summary>Bit 11 where the name is not ASCII: readers then decode it as UTF-8 (numpy's zipfile otherwise takes cp437).</summary>
    public static ushort NameFlags(byte[] name) => System.Text.Ascii.IsValid(name) ? (ushort)0 : Utf8Flag;
}
