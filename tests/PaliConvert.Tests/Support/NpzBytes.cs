using System.IO.Compression;
using System.Text;
using PaliConvert.Formats.Zip;

namespace PaliConvert.Tests;

/// <summary>Hand-made .npy and .npz bytes, hostile ones included.</summary>
public static class NpzBytes
{
    public static byte[] Npy(string dict, byte[] data, int version = 1)
    {
        int pre = version == 1 ? 10 : 12;
        int total = (pre + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - pre - 1) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        if (version == 1) ms.Write(BitConverter.GetBytes((ushort)header.Length));
        else ms.Write(BitConverter.GetBytes((uint)header.Length));
        ms.Write(Encoding.UTF8.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>A stored zip written by the project's ZipWriter.</summary>
    public static string Stored(string path, bool forceZip64 = false, params (string name, byte[] bytes)[] members)
    {
        using var z = new ZipWriter(path) { ForceZip64 = forceZip64 };
        foreach (var (name, bytes) in members)
        {
            z.BeginMember(name, bytes.Length);
            z.Write(bytes);
            z.EndMember();
        }
        z.Finish();
        return path;
    }

    /// <summary>A deflated zip written by .NET's ZipArchive, an independent implementation.</summary>
    public static string Deflated(string path, params (string name, byte[] bytes)[] members)
    {
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create))
            foreach (var (name, bytes) in members)
            {
                using var s = z.CreateEntry(name, CompressionLevel.Optimal).Open();
                s.Write(bytes);
            }
        return path;
    }
}
