using System.Runtime.InteropServices;

namespace PaliConvert.Tests;

/// <summary>
/// A golden model whose greedy output varies. Random tiny models repeat their last token (the tied embedding makes
/// the residual stream's own token the argmax), which proves nothing about generation: here the decoder's output
/// projections are scaled up so the layers outweigh the embedding, and the final norm's sign is flipped.
/// </summary>
public static class Talkative
{
    public static string Write(string model, string target) =>
        NpzCopy.Write(TestPaths.Golden($"{model}/params.f32.npz"), target, t =>
        {
            var b = NpzCopy.Bytes(t);
            var f = MemoryMarshal.Cast<byte, float>(b.AsSpan());
            if (t.Name is "llm/layers/attn/attn_vec_einsum/w" or "llm/layers/mlp/linear")
                for (int i = 0; i < f.Length; i++) f[i] *= 6;
            if (t.Name == "llm/final_norm/scale")
                for (int i = 0; i < f.Length; i++) f[i] = -2 - f[i]; // (1 + scale) negated
            return [(t.Name, t.Shape, b)];
        });
}
