using PaliConvert.Export;
using PaliConvert.Formats.Images;
using PaliConvert.Formats.SentencePiece;
using PaliConvert.Inference;
using PaliConvert.Validation;

namespace PaliConvert.Pipeline;

/// <summary>What verify generates from: an image, a prompt, how many tokens, and the tokenizer (else either side's own).</summary>
public sealed record GenerationInput(string Image, string Prompt, int MaxNewTokens = 16, string? Tokenizer = null)
{
    /// <summary>'IMAGE&lt;tab&gt;PROMPT' lines (blank lines and '#' comments skipped), images relative to the file.</summary>
    public static List<(string image, string prompt)> ReadPairs(string path)
    {
        var text = System.Text.Encoding.UTF8.GetString(Tensors.RegularFile.ReadAllBytes(path)).Split('\n');
        var pairs = new List<(string, string)>();
        for (int i = 0; i < text.Length; i++)
        {
            string line = text[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            int tab = line.IndexOf('\t');
            if (tab <= 0 || tab == line.Length - 1)
                throw new BadInputException(path, $"{path}: line {i + 1} is not 'IMAGE<tab>PROMPT'", $"line {i + 1}");
            pairs.Add((Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, line[..tab]), line[(tab + 1)..]));
        }
        return pairs.Count > 0 ? pairs : throw new BadInputException(path, $"{path}: holds no 'IMAGE<tab>PROMPT' line");
    }
}

/// <summary>Both models generate from the same image and prompt; the target is teacher-forced on the source's tokens.</summary>
public static class VerifyGeneration
{
    public static GenerationCheck Run(GenerationInput g, LoadedModel source, string sourcePath, LoadedModel? target, string targetPath,
        OnnxDType? dtype, LogitTolerance tolerance)
    {
        var tokenizer = SentencePieceText.Read(Tokenizer(g.Tokenizer, sourcePath, targetPath));
        if (tokenizer.Model.Pieces.Count != source.TextVocab)
            throw new ModelMismatchException(tokenizer.Model.Path, sourcePath, "vocabulary", $"{tokenizer.Model.Path} has " +
                $"{tokenizer.Model.Pieces.Count} pieces but {sourcePath}'s text vocabulary is {source.TextVocab}");
        int px = source.Weights.Arch.Vision.ImageSize, eos = Generate.Eos(tokenizer);
        var pixels = SiglipImage.Pixels(ImageFile.Read(g.Image), px);
        int[] prompt = Generate.PromptIds(tokenizer, g.Prompt, g.MaxNewTokens);
        var a = GreedyDecoder.Run(source.Weights, pixels, px, px, prompt, g.MaxNewTokens, null, eos);
        var b = target != null ? GreedyDecoder.Run(target.Weights, pixels, px, px, prompt, g.MaxNewTokens, null, eos)
            : OnnxGenerator.Run(targetPath, dtype, pixels, px, prompt, g.MaxNewTokens, eos);
        // the target on the source's tokens: the logits it predicts each of them from
        int k = a.GeneratedIds.Length;
        int[] text = [.. prompt, .. a.GeneratedIds[..(k - 1)]];
        int[] mask = [.. new int[prompt.Length], .. Enumerable.Repeat(1, k - 1)];
        var inputs = new ModelInputs(pixels, 1, px, px, text, text.Length, mask);
        var (logits, vocab) = target != null ? Full(target, inputs) : OnnxRunner.Run(targetPath, inputs, dtype);
        var forced = logits[((prompt.Length - 1) * vocab)..];
        var steps = a.StepLogits.SelectMany(l => l).ToArray();
        var (summary, _) = LogitComparison.Compare(steps, a.StepLogits[0].Length, forced, vocab, 1, k, tolerance);
        return new GenerationCheck(g.Image, g.Prompt, prompt, a.GeneratedIds, b.GeneratedIds,
            tokenizer.Decode(a.GeneratedIds, skipSpecial: true), tokenizer.Decode(b.GeneratedIds, skipSpecial: true), summary,
            tolerance.Expected == Rounding.Exact);
    }

    private static (float[], int) Full(LoadedModel m, ModelInputs inputs)
    {
        var r = new PaliGemmaForward(m.Weights).Run(inputs);
        return (r.Logits, r.Vocab);
    }

    /// <summary>The tokenizer given, else the sides' own: where both have one they must be the same file's bytes.</summary>
    private static string Tokenizer(string? given, string source, string target)
    {
        if (given != null) return given;
        string? a = Generate.OwnTokenizer(source), b = Generate.OwnTokenizer(target);
        if (a != null && b != null && !SentencePieceModel.Read(a).Bytes.Span.SequenceEqual(SentencePieceModel.Read(b).Bytes.Span))
            throw new ModelMismatchException(source, target, "tokenizer", $"{a} and {b} are different tokenizers; state the one to use");
        return a ?? b ?? throw new UsageException("tokenizer", $"neither {source} nor {target} has a tokenizer; state the SentencePiece " +
            "model to use");
    }
}
