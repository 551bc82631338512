using PaliConvert.Formats.Npz;
using PaliConvert.Formats.Safetensors;
using PaliConvert.Tensors;

namespace PaliConvert.Formats;

/// <summary>Opens any supported checkpoint by what the path is: an .npz file, a .safetensors file, or an HF folder.</summary>
public static class CheckpointReader
{
    /// <summary>Opens the checkpoint; <paramref name="rename"/> presents safetensors names under another spelling.</summary>
    public static Checkpoint Open(string path, Func<string, string>? rename = null)
    {
        if (Directory.Exists(path)) return SafetensorsCheckpoint.Open(path, rename);
        path = SplitParts.Whole(path);
        if (SplitParts.Of(path) != null) return NpzCheckpoint.Open(path); // NAME.npz.part*: read in place as one file
        if (!File.Exists(path)) throw new BadInputException(path, $"{path}: no such file or folder");
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return SafetensorsCheckpoint.Open(path, rename);
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return NpzCheckpoint.Open(path);
        // Sniff: zip files start with a local header, safetensors with a small little-endian length.
        using var fs = RegularFile.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        int n = fs.Read(head);
        if (n == 4 && head[0] == 'P' && head[1] == 'K') return NpzCheckpoint.Open(path);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        bool inHf = File.Exists(Path.Combine(folder, SafetensorsCheckpoint.SingleName))
            || File.Exists(Path.Combine(folder, SafetensorsCheckpoint.IndexName));
        throw new BadInputException(path, $"{path}: not an .npz, a .safetensors file or a Hugging Face folder" +
            (inHf ? $"; it lies in one: give the folder ({folder})" : ""));
    }
}
