using PaliConvert.Formats.Images;
using PaliConvert.Formats.Npz;
using PaliConvert.Formats.SentencePiece;
using PaliConvert.Inference;
using PaliConvert.IO;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Pipeline;

/// <summary>What generate runs: a model, an image and a prompt, how many tokens at most, and where the tokenizer is.</summary>
public sealed record GenerateOptions(string Model, string Image, string Prompt, int MaxNewTokens = 32, string? Tokenizer = null,
    StatedFacts? Stated = null, string? SaveInputs = null, bool Force = false, Export.OnnxDType? DType = null, string? Draw = null,
    ImagePreprocess Preprocess = ImagePreprocess.Hf)
{
    /// <summary>A PEFT adapter run with the model (and the rules that name its tensors).</summary>
    public AdapterInput? Adapter { get; init; }
}

/// <summary>
/// The prompt as fed (after the image tokens), the new tokens, their text, the timings, and what the text locates: boxes
/// in the original image's pixels, and the &lt;seg###&gt; codes.
/// </summary>
public sealed record GenerateResult(string Model, int[] PromptIds, int[] GeneratedIds, string Text, double PrefillSeconds,
    double DecodeTokensPerSecond, string? SavedInputs)
{
    public List<Detection> Detections { get; init; } = [];
    public List<int> Segments { get; init; } = [];
    public string? Drawn { get; init; }
}

/// <summary>
/// Image + prompt -> text, as transformers' PaliGemmaProcessor and generate() do it: the image through
/// SiglipImageProcessor's steps, the prompt as image tokens, &lt;bos&gt;, the prompt and "\n" (token_type_ids 0 for all),
/// then greedy decoding to EOS or the limit, decoded with special tokens skipped.
/// </summary>
public static class Generate
{
    /// <summary>The longest prompt taken, in characters (the tokenizer's merges grow with the square of a stretch's length).</summary>
    public const int MaxPromptChars = 8192;

    public static GenerateResult Run(GenerateOptions o, IProgress<(string, double)>? progress = null, RunScope? scope = null)
    {
        scope ??= new RunScope();
        if (o.MaxNewTokens is < 1 or > InputsFile.MaxTextTokens)
            throw new UsageException("max-new-tokens", $"max new tokens must be 1 to {InputsFile.MaxTextTokens}, not {o.MaxNewTokens}");
        var tokenizer = SentencePieceText.Read(TokenizerFor(o.Model, o.Tokenizer));
        bool onnx = Validation.ModelLogits.IsOnnx(o.Model);
        if (onnx && o.Adapter != null) throw Validation.ModelLogits.AdapterOnOnnx(o.Model);
        using var model = onnx ? null : LoadedModel.Open(o.Model, o.Stated, scope, o.Adapter);
        var facts = onnx ? Validation.OnnxGenerator.Facts(o.Model, o.DType) : null;
        int textVocab = model?.TextVocab ?? Fact(o.Model, facts!, "image_token_index");
        int px = model?.Weights.Arch.Vision.ImageSize ?? Fact(o.Model, facts!, "vision_config.image_size");
        if (tokenizer.Model.Pieces.Count != textVocab)
            throw new ModelMismatchException(tokenizer.Model.Path, o.Model, "vocabulary", $"{tokenizer.Model.Path} has " +
                $"{tokenizer.Model.Pieces.Count} pieces but {o.Model}'s text vocabulary is {textVocab}: another model's tokenizer");
        var (pixels, original) = ImagePreprocessing.Load(o.Image, px, o.Preprocess);
        int[] prompt = PromptIds(tokenizer, o.Prompt, o.MaxNewTokens);
        string? saved = o.SaveInputs == null ? null : SaveInputs(o, scope, pixels, px, prompt);
        int eos = Eos(tokenizer);
        var g = model != null ? GreedyDecoder.Run(model.Weights, pixels, px, px, prompt, o.MaxNewTokens, progress, eos)
            : Validation.OnnxGenerator.Run(o.Model, o.DType, pixels, px, prompt, o.MaxNewTokens, eos);
        string text = tokenizer.Decode(g.GeneratedIds, skipSpecial: true);
        var found = Detection.Parse(text, original.Width, original.Height);
        return new GenerateResult(o.Model, prompt, g.GeneratedIds, text, g.PrefillSeconds, g.DecodeTokensPerSecond, saved)
        {
            Detections = found, Segments = Detection.Segments(text), Drawn = o.Draw == null ? null : DrawBoxes(o, scope, original, found),
        };
    }

    /// <summary>PaliGemmaProcessor's text after the image tokens: &lt;bos&gt;, the prompt and "\n".</summary>
    public static int[] PromptIds(SentencePieceText tokenizer, string prompt, int maxNewTokens)
    {
        if (prompt.Length > MaxPromptChars)
            throw new UsageException("prompt", $"the prompt has {prompt.Length:N0} characters; at most {MaxPromptChars:N0} are taken");
        int[] ids = [tokenizer.Model.Id(tokenizer.Model.Trainer.BosId, "bos"), .. tokenizer.Encode(prompt + "\n")];
        if (ids.Length + maxNewTokens > InputsFile.MaxTextTokens)
            throw new UsageException("prompt", $"the prompt is {ids.Length} tokens; with {maxNewTokens} new ones that is more than " +
                $"the {InputsFile.MaxTextTokens} text tokens run");
        return ids;
    }

    public static int Eos(SentencePieceText tokenizer) => tokenizer.Model.Id(tokenizer.Model.Trainer.EosId, "eos");

    /// <summary>
    /// The tokenizer given, else the model's own: tokenizer.model in an HF folder or beside a split export, or
    /// NAME.tokenizer.model beside NAME.npz (where hf2jax writes it).
    /// </summary>
    public static string TokenizerFor(string model, string? given) =>
        given ?? OwnTokenizer(model) ?? throw new UsageException("tokenizer", $"{model}: no tokenizer found ({Beside(model)}); " +
            "state the SentencePiece model to use (big_vision's is paligemma_tokenizer.model)");

    /// <summary>The model's own tokenizer file, or null where it has none.</summary>
    public static string? OwnTokenizer(string model) => File.Exists(Beside(model)) ? Beside(model) : null;

    private static string Beside(string model) => Directory.Exists(model) ? Path.Combine(model, ProcessorFiles.TokenizerModel)
        : model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model))!, ProcessorFiles.TokenizerModel)
            : Path.ChangeExtension(model, ".tokenizer.model");

    /// <summary>The original image with the boxes and labels drawn, as a PNG.</summary>
    private static string DrawBoxes(GenerateOptions o, RunScope scope, RgbImage original, List<Detection> found)
    {
        using var file = AtomicOutput.ForFile(scope, o.Draw!, o.Force, o.Model, o.Image);
        file.Writing(() =>
        {
            using var fs = new FileStream(file.TempPath, FileMode.CreateNew, FileAccess.Write);
            PngWriter.Write(fs, BoxDrawing.Draw(original, found));
        });
        file.Commit();
        return file.Target;
    }

    private static int Fact(string model, IReadOnlyDictionary<string, string> facts, string key) =>
        int.TryParse(facts.GetValueOrDefault(key), out var v) && v > 0 ? v
            : throw new BadInputException(model, $"{model}: its metadata '{key}' is missing or not a positive number", key);

    /// <summary>The exact inputs, in the inputs.npz format logits and verify take: image_nhwc, text, mask_ar (all prefix).</summary>
    private static string SaveInputs(GenerateOptions o, RunScope scope, float[] pixels, int px, int[] prompt)
    {
        using var file = AtomicOutput.ForFile(scope, o.SaveInputs!, o.Force, o.Model, o.Image);
        file.Writing(() =>
        {
            using var npz = new NpzWriter(file.TempPath);
            Member(npz, "image_nhwc", DType.F32, [1, px, px, 3], System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels.AsSpan()));
            Member(npz, "text", DType.I32, [1, prompt.Length], System.Runtime.InteropServices.MemoryMarshal.AsBytes(prompt.AsSpan()));
            Member(npz, "mask_ar", DType.I32, [1, prompt.Length], new byte[4 * prompt.Length]);
            npz.Finish();
        });
        file.Commit();
        return file.Target;
    }

    private static void Member(NpzWriter npz, string name, DType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        npz.BeginTensor(name, dtype, shape);
        npz.Write(data);
        npz.EndTensor();
    }
}
