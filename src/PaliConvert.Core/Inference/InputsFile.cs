using PaliConvert.Formats.Npz;
using PaliConvert.Tensors;

namespace PaliConvert.Inference;

/// <summary>
/// Model inputs from an .npz: image_nhwc float32 [B, H, W, 3] in [-1, 1], text int [B, T], and a mask_ar [B, T]
/// under the given key (null: every text token is prefix). Or seeded random inputs with a prefix and a suffix.
/// </summary>
public static class InputsFile
{
    /// <summary>The most text tokens run (with up to 4,096 image tokens, within Gemma's 8,192 positions).</summary>
    public const int MaxTextTokens = 2048;

    public static ModelInputs Load(string path, string? maskKey = "mask_ar")
    {
        using var ck = NpzCheckpoint.Open(path);
        var image = ck.Find("image_nhwc") ?? throw new BadInputException(path, $"{path}: no 'image_nhwc' array (float32 [B, H, W, 3])");
        if (image.Shape.Length != 4 || image.Shape[3] != 3 || !image.DType.IsFloat())
            throw new BadInputException(path, $"{path}: 'image_nhwc' is {image.DType.Label()} {Shape.Format(image.Shape)}, expected " +
                $"float " +
                $"[B, H, W, 3]");
        var pixels = new float[image.Elements];
        image.ReadF32(0, pixels);
        int nonFinite = Array.FindIndex(pixels, p => !float.IsFinite(p));
        if (nonFinite >= 0)
            throw new BadInputException(path, $"{path}: 'image_nhwc' holds {pixels[nonFinite]} at element {nonFinite:N0}; pixels are " +
                "finite numbers (in [-1, 1])", "image_nhwc");
        var text = ck.Find("text") ?? throw new BadInputException(path, $"{path}: no 'text' array (int [B, T])");
        if (text.Shape.Length != 2 || text.Shape[0] != image.Shape[0])
            throw new BadInputException(path, $"{path}: 'text' is {Shape.Format(text.Shape)}, expected [{image.Shape[0]}, T]");
        if (text.Shape[1] > MaxTextTokens)
            throw new BadInputException(path, $"{path}: 'text' has {text.Shape[1]:N0} tokens; at most {MaxTextTokens:N0} are run " +
                "(PaliGemma is trained on far shorter prompts)", "text");
        if (Shape.Elements(image.Shape) == 0 || text.Shape[1] == 0)
            throw new BadInputException(path, $"{path}: empty inputs (image {Shape.Format(image.Shape)}, text {Shape.Format(text.Shape)})");
        var tokens = Ints(text, path);
        if (tokens.FirstOrDefault(v => v < 0, 0) is < 0 and var bad) throw new BadInputException(path, $"{path}: 'text' holds token {bad}");
        if (maskKey != null && ck.Find(maskKey) == null)
            throw new BadInputException(path, $"{path}: no '{maskKey}' array (the file has " +
                $"{string.Join(", ", ck.Tensors.Select(t => t.Name))})");
        int[] mask = maskKey != null && ck.Find(maskKey) is { } m
            ? Shape.Equal(m.Shape, text.Shape) ? Ints(m, path)
                : throw new BadInputException(path, $"{path}: '{maskKey}' is {Shape.Format(m.Shape)}, expected " +
                    $"{Shape.Format(text.Shape)} " +
                    $"like 'text'")
            : new int[tokens.Length];
        if (mask.Any(v => v is not (0 or 1))) throw new BadInputException(path, $"{path}: '{maskKey}' must hold 0 (prefix) or 1 (causal)");
        return new ModelInputs(pixels, (int)image.Shape[0], (int)image.Shape[1], (int)image.Shape[2], tokens, (int)text.Shape[1], mask);
    }

    private static int[] Ints(TensorInfo t, string path)
    {
        var v = new int[t.Elements];
        var bytes = t.Data.Span(0, (int)t.ByteLength);
        for (int i = 0; i < v.Length; i++)
            v[i] = t.DType switch
            {
                DType.I32 => BitConverter.ToInt32(bytes.Slice(4 * i, 4)),
                DType.I64 => Narrow(BitConverter.ToInt64(bytes.Slice(8 * i, 8)), t, i, path),
                DType.U8 or DType.Bool => bytes[i],
                DType.I8 => (sbyte)bytes[i],
                _ => throw new BadInputException(path, $"{path}: '{t.Name}' is {t.DType.Label()}, expected integers"),
            };
        return v;
    }

    private static int Narrow(long v, TensorInfo t, int i, string path) => v is >= int.MinValue and <= int.MaxValue ? (int)v
        : throw new BadInputException(path, $"{path}: '{t.Name}' holds {v} at element {i:N0}, beyond any token id or mask value", t.Name);

    /// <summary>
    /// A seeded random image and text: a prefix of <paramref name="prefix"/> tokens (first token 2, BOS) then a causal suffix.
    /// </summary>
    public static ModelInputs Random(int imageSize, int vocab, int seed, int prefix = 8, int suffix = 4)
    {
        if (vocab < 1) throw new BadInputException("inputs", $"a text vocabulary of {vocab} leaves no token for random inputs");
        var rng = new Random(seed);
        var image = new float[imageSize * imageSize * 3];
        for (int i = 0; i < image.Length; i++) image[i] = (float)(rng.NextDouble() * 2 - 1);
        int t = prefix + suffix;
        var text = new int[t];
        for (int i = 0; i < t; i++) text[i] = i == 0 ? Math.Min(2, vocab - 1) : rng.Next(0, vocab);
        var mask = Enumerable.Range(0, t).Select(i => i < prefix ? 0 : 1).ToArray();
        return new ModelInputs(image, 1, imageSize, imageSize, text, t, mask);
    }
}
