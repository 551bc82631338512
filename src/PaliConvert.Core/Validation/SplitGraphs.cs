using Microsoft.ML.OnnxRuntime;
using PaliConvert.Export;
using PaliConvert.Formats.Onnx;
using PaliConvert.Models;
using PaliConvert.Tensors;

namespace PaliConvert.Validation;

/// <summary>
/// The three graphs of a split folder's variant, checked to be one model before any runs: one recorded source, the
/// weights the file name claims (an fp32 graph holds no f16 or quantized weights, an fp16 one nothing quantized), the
/// inputs and outputs the chain feeds and reads, with the widths and the image size they must share.
/// </summary>
internal static class SplitGraphs
{
    public static void Check(string folder, OnnxDType storage, InferenceSession vision, InferenceSession embed,
        InferenceSession decoder)
    {
        var files = new[] { OnnxLayout.Vision, OnnxLayout.Embed, OnnxLayout.Decoder }
            .Select(g => Path.Combine(folder, OnnxLayout.SplitFile(g, storage))).ToArray();
        var sources = files.Select(f => (f, OnnxCheckpoint.Open(f))).ToList();
        try
        {
            var prints = sources.Select(s => (s.f, s.Item2.Metadata.GetValueOrDefault(ModelFacts.SourceFingerprint))).ToList();
            if (prints.Where(p => p.Item2 != null).Select(p => p.Item2).Distinct().Count() > 1)
                throw new BadInputException(folder, $"{folder}: its {storage.Name()} graphs come from different weights: " +
                    string.Join("; ", prints.Select(p => $"{Path.GetFileName(p.f)} from {p.Item2 ?? "(not recorded)"}")));
            foreach (var (f, ck) in sources) Claimed(f, ck, storage);
        }
        finally
        {
            foreach (var (_, ck) in sources) ck.Dispose();
        }
        int visionWidth = Output(files[0], vision, "image_features", 3)[2];
        int embedWidth = Output(files[1], embed, "inputs_embeds", 3)[2];
        int decoderWidth = Input(files[2], decoder, "inputs_embeds", 3)[2];
        Output(files[2], decoder, "logits", 3);
        if (visionWidth > 0 && embedWidth > 0 && decoderWidth > 0 && (visionWidth != decoderWidth || embedWidth != decoderWidth))
            throw new BadInputException(folder, $"{folder}: its graphs disagree on the text width: image features {visionWidth}, " +
                $"token embeddings {embedWidth}, decoder {decoderWidth}");
    }

    /// <summary>The image tokens the vision graph gave, checked against what the decoder's facts state.</summary>
    public static void ImageTokens(string folder, InferenceSession decoder, long[] imageShape)
    {
        var facts = ModelFacts.FromMetadata(decoder.ModelMetadata.CustomMetadataMap);
        var stated = facts?.FirstOrDefault(f => f.key == "vision_config.num_image_tokens").value;
        if (stated != null && int.TryParse(stated, out var tokens) && imageShape[1] != tokens)
            throw new BadInputException(folder, $"{folder}: the vision graph gave {imageShape[1]} image tokens but the decoder's facts " +
                $"state {tokens}; the graphs are not one model");
    }

    private static void Claimed(string file, OnnxCheckpoint ck, OnnxDType storage)
    {
        bool quantized = ck.Tensors.Any(t => t.DType is DType.U8 or DType.I8);
        bool half = ck.Tensors.Any(t => t.DType == DType.F16);
        string? wrong = storage == OnnxDType.Fp32 && (quantized || half) ? "f16 or quantized"
            : storage == OnnxDType.Fp16 && quantized ? "quantized" : null;
        if (wrong != null)
            throw new BadInputException(file, $"{file}: is named as the {storage.Name()} variant but holds {wrong} weights; it is " +
                "another variant's graph");
    }

    private static int[] Output(string file, InferenceSession s, string name, int rank) =>
        Shape(file, s.OutputMetadata, name, rank, "output");

    private static int[] Input(string file, InferenceSession s, string name, int rank) => Shape(file, s.InputMetadata, name, rank, "input");

    internal static int[] Shape(string file, IReadOnlyDictionary<string, NodeMetadata> m, string name, int rank, string what)
    {
        if (!m.TryGetValue(name, out var meta))
            throw new BadInputException(file, $"{file}: has no {what} '{name}', which transformers.js's chain needs", name);
        if (meta.Dimensions.Length != rank)
            throw new BadInputException(file, $"{file}: its {what} '{name}' has rank {meta.Dimensions.Length}, expected {rank}", name);
        return meta.Dimensions;
    }
}
