using System.Text.RegularExpressions;

namespace PaliConvert.Synth;

/// <summary>
/// The real big_vision names and shapes of a PaliGemma release (checked against an independent table,
/// tests/PaliConvert.Tests/oracle/synth_shapes.py),
/// for variants spelled 'pg1-3b-224', 'pg2-10b-448', ... (resolution any multiple of 14).
/// </summary>
public static partial class SynthVariant
{
    public const int VitWidth = 1152, VitDepth = 27, VitMlp = 4304, VitHeads = 16, Patch = 14, BigVisionVocab = 257152;

    private static readonly Dictionary<string, (int W, int L, int F, int N, int K, int H)> Decoders = new()
    {
        ["pg1-3b"] = (2048, 18, 16384, 8, 1, 256),
        ["pg2-3b"] = (2304, 26, 9216, 8, 4, 256),
        ["pg2-10b"] = (3584, 42, 14336, 16, 8, 256),
        ["pg2-28b"] = (4608, 46, 36864, 32, 16, 128),
    };

    public static IEnumerable<string> Known => Decoders.Keys.SelectMany(k => new[] { 224, 448, 896 }.Select(r => $"{k}-{r}"));

    [GeneratedRegex(@"^(pg[12]-\d+b)-(\d+)$")]
    private static partial Regex Pattern();

    public static List<(string name, long[] shape)> Shapes(string variant)
    {
        var m = Pattern().Match(variant);
        if (!m.Success || !Decoders.TryGetValue(m.Groups[1].Value, out var dec) || int.Parse(m.Groups[2].Value) % Patch != 0)
            throw new UsageException("variant", $"unknown variant '{variant}'; known: {string.Join(", ", Known)} (resolution any " +
                $"multiple of " +
                $"{Patch})");
        int res = int.Parse(m.Groups[2].Value);
        long n = (long)(res / Patch) * (res / Patch);
        var (W, L, F, N, K, H) = dec;
        long d = VitWidth, dl = VitDepth, mlp = VitMlp, h = VitHeads;
        const string e = "img/Transformer/encoderblock/", a = e + "MultiHeadDotProductAttention_0/";
        var s = new List<(string, long[])>
        {
            ("img/Transformer/encoder_norm/bias", [d]), ("img/Transformer/encoder_norm/scale", [d]),
            (e + "LayerNorm_0/bias", [dl, d]), (e + "LayerNorm_0/scale", [dl, d]),
            (e + "LayerNorm_1/bias", [dl, d]), (e + "LayerNorm_1/scale", [dl, d]),
            (e + "MlpBlock_0/Dense_0/bias", [dl, mlp]), (e + "MlpBlock_0/Dense_0/kernel", [dl, d, mlp]),
            (e + "MlpBlock_0/Dense_1/bias", [dl, d]), (e + "MlpBlock_0/Dense_1/kernel", [dl, mlp, d]),
            (a + "key/bias", [dl, h, d / h]), (a + "key/kernel", [dl, d, h, d / h]),
            (a + "out/bias", [dl, d]), (a + "out/kernel", [dl, h, d / h, d]),
            (a + "query/bias", [dl, h, d / h]), (a + "query/kernel", [dl, d, h, d / h]),
            (a + "value/bias", [dl, h, d / h]), (a + "value/kernel", [dl, d, h, d / h]),
            ("img/embedding/bias", [d]), ("img/embedding/kernel", [Patch, Patch, 3, d]),
            ("img/head/bias", [W]), ("img/head/kernel", [d, W]), ("img/pos_embedding", [1, n, d]),
            ("llm/embedder/input_embedding", [BigVisionVocab, W]), ("llm/final_norm/scale", [W]),
            ("llm/layers/attn/attn_vec_einsum/w", [L, N, H, W]), ("llm/layers/attn/kv_einsum/w", [L, 2, K, W, H]),
            ("llm/layers/attn/q_einsum/w", [L, N, W, H]), ("llm/layers/mlp/gating_einsum", [L, 2, W, F]),
            ("llm/layers/mlp/linear", [L, F, W]), ("llm/layers/pre_attention_norm/scale", [L, W]),
            ("llm/layers/pre_ffw_norm/scale", [L, W]),
        };
        if (variant.StartsWith("pg2", StringComparison.Ordinal))
        {
            s.Add(("llm/layers/post_attention_norm/scale", [L, W]));
            s.Add(("llm/layers/post_ffw_norm/scale", [L, W]));
        }
        return s;
    }
}
