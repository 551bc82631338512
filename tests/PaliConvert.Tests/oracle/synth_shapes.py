"""The tensor names and shapes of a released big_vision PaliGemma checkpoint, written from docs/PALIGEMMA.md's tables
(independently of the C# SynthVariant), as JSON [[name, shape], ...] in the order big_vision's flax tree lists them.
usage: synth_shapes.py VARIANT   (pg1-3b-224, pg2-10b-448, ...)"""
import json
import sys

DECODERS = {  # width, layers, MLP, query heads, kv heads, head dim
    "pg1-3b": (2048, 18, 16384, 8, 1, 256),
    "pg2-3b": (2304, 26, 9216, 8, 4, 256),
    "pg2-10b": (3584, 42, 14336, 16, 8, 256),
    "pg2-28b": (4608, 46, 36864, 32, 16, 128),
}
D, VL, VM, VH, P, V = 1152, 27, 4304, 16, 14, 257152  # SigLIP So400m/14, big_vision vocabulary


def shapes(variant):
    fam, size, res = variant.split("-")
    W, L, F, N, K, H = DECODERS[f"{fam}-{size}"]
    tokens = (int(res) // P) ** 2
    e = "img/Transformer/encoderblock/"
    a = e + "MultiHeadDotProductAttention_0/"
    out = [("img/Transformer/encoder_norm/bias", (D,)), ("img/Transformer/encoder_norm/scale", (D,))]
    for ln in ("LayerNorm_0", "LayerNorm_1"):
        out += [(e + ln + "/bias", (VL, D)), (e + ln + "/scale", (VL, D))]
    out += [(e + "MlpBlock_0/Dense_0/bias", (VL, VM)), (e + "MlpBlock_0/Dense_0/kernel", (VL, D, VM)),
            (e + "MlpBlock_0/Dense_1/bias", (VL, D)), (e + "MlpBlock_0/Dense_1/kernel", (VL, VM, D))]
    for proj in ("key", "out", "query", "value"):
        if proj == "out":
            out += [(a + "out/bias", (VL, D)), (a + "out/kernel", (VL, VH, D // VH, D))]
        else:
            out += [(a + proj + "/bias", (VL, VH, D // VH)), (a + proj + "/kernel", (VL, D, VH, D // VH))]
    out += [("img/embedding/bias", (D,)), ("img/embedding/kernel", (P, P, 3, D)),
            ("img/head/bias", (W,)), ("img/head/kernel", (D, W)), ("img/pos_embedding", (1, tokens, D)),
            ("llm/embedder/input_embedding", (V, W)), ("llm/final_norm/scale", (W,)),
            ("llm/layers/attn/attn_vec_einsum/w", (L, N, H, W)), ("llm/layers/attn/kv_einsum/w", (L, 2, K, W, H)),
            ("llm/layers/attn/q_einsum/w", (L, N, W, H)), ("llm/layers/mlp/gating_einsum", (L, 2, W, F)),
            ("llm/layers/mlp/linear", (L, F, W)), ("llm/layers/pre_attention_norm/scale", (L, W)),
            ("llm/layers/pre_ffw_norm/scale", (L, W))]
    if fam == "pg2":
        out += [("llm/layers/post_attention_norm/scale", (L, W)), ("llm/layers/post_ffw_norm/scale", (L, W))]
    return out


print(json.dumps([[k, list(v)] for k, v in shapes(sys.argv[1])]))
