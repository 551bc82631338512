using System.Runtime.InteropServices;

namespace PaliConvert.Tests;

/// <summary>A golden model "fine-tuned" in two tensors: one decoder layer's v_proj source (kv_einsum) and the final norm.</summary>
public static class FineTune
{
    public const string Kv = "llm/layers/attn/kv_einsum/w", Norm = "llm/final_norm/scale";

    public static string Write(string model, string target) =>
        NpzCopy.Write(TestPaths.Golden($"{model}/params.f32.npz"), target, t =>
        {
            var b = NpzCopy.Bytes(t);
            if (t.Name is Kv or Norm)
            {
                var f = MemoryMarshal.Cast<byte, float>(b.AsSpan());
                for (int i = 0; i < f.Length; i += t.Name == Kv ? 7 : 1) f[i] *= 1.25f; // every 7th kv weight, the whole norm
            }
            return [(t.Name, t.Shape, b)];
        });
}
