using Microsoft.ML.OnnxRuntime;

namespace PaliConvert.Validation;

/// <summary>
/// The split layout's decoder graph called as transformers.js calls it: each call feeds new input embeddings, an
/// attention mask of ones over every position so far, their position ids, and the key/value cache the calls before
/// returned (past_key_values.* in, present.* out).
/// </summary>
internal sealed class SplitDecoder(InferenceSession decoder)
{
    private readonly List<string> _kv =
        decoder.InputMetadata.Keys.Where(k => k.StartsWith("past_key_values.", StringComparison.Ordinal)).ToList();
    private Dictionary<string, float[]>? _past;

    /// <summary>Positions in the cache.</summary>
    public int Length { get; private set; }

    /// <summary>The logits [n, vocab] of <paramref name="n"/> new positions (embeddings [n, width]) after the cached ones.</summary>
    public (float[] logits, int vocab) Call(float[] embeds, int n, int width)
    {
        var dims = decoder.InputMetadata[_kv[0]].Dimensions; // [batch, kv heads, past, head dim]
        _past ??= _kv.ToDictionary(k => k, _ => Array.Empty<float>());
        int start = Length, end = start + n;
        var names = new List<string> { "inputs_embeds", "attention_mask", "position_ids" };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(embeds, [1, n, width]),
            OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, end).ToArray(), [1, end]),
            OrtValue.CreateTensorValueFromMemory(Enumerable.Range(start, n).Select(p => (long)p).ToArray(), [1, n]),
        };
        foreach (var k in _kv)
        {
            names.Add(k);
            values.Add(OrtValue.CreateTensorValueFromMemory(_past[k], [1, dims[1], start, dims[3]]));
        }
        try
        {
            var outputs = new List<string> { "logits" };
            outputs.AddRange(_kv.Select(k => k.Replace("past_key_values.", "present.")));
            using var run = new RunOptions();
            using var o = decoder.Run(run, names, values, outputs);
            int vocab = (int)o[0].GetTensorTypeAndShape().Shape[2];
            for (int i = 0; i < _kv.Count; i++) _past[_kv[i]] = o[i + 1].GetTensorDataAsSpan<float>().ToArray();
            Length = end;
            return (o[0].GetTensorDataAsSpan<float>().ToArray(), vocab);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
