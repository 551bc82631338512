"""PaliGemma's forward pass in numpy, written from docs/PALIGEMMA.md independently of the C# one, with its facts stated.
The attention mask is transformers' formulation for a prefix followed by a suffix: full layers see j <= i or both in
the prefix; sliding layers see (j <= i and i - j < window) or both in the prefix.
usage: forward_oracle.py PARAMS.npz INPUTS.npz MASK_KEY OUT.npy FACTS_JSON
FACTS_JSON: {"eps", "vision_eps", "theta", "query_scalar", "attn_softcap" (0: none), "window" (0: none), "layer_types"}"""
import json
import sys

import numpy as np


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, scale, bias, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * scale + bias


def rms_norm(x, scale, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * (1 + scale)


def softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


def rope(x, theta):  # x [S, heads, H]
    s, _, h = x.shape
    timescale = theta ** (2 * np.arange(h // 2) / h)
    angle = np.arange(s)[:, None, None] / timescale[None, None, :]
    x1, x2 = x[..., : h // 2], x[..., h // 2:]
    return np.concatenate([x1 * np.cos(angle) - x2 * np.sin(angle), x2 * np.cos(angle) + x1 * np.sin(angle)], -1)


def vision(p, img, eps):
    k = p["img/embedding/kernel"]
    ps, d = k.shape[0], k.shape[-1]
    h, w = img.shape[0] // ps, img.shape[1] // ps
    patches = img.reshape(h, ps, w, ps, 3).transpose(0, 2, 1, 3, 4).reshape(h * w, -1)
    x = patches @ k.reshape(-1, d) + p["img/embedding/bias"] + p["img/pos_embedding"][0]
    e = "img/Transformer/encoderblock/"
    a = e + "MultiHeadDotProductAttention_0/"
    for l in range(p[e + "LayerNorm_0/scale"].shape[0]):
        y = layer_norm(x, p[e + "LayerNorm_0/scale"][l], p[e + "LayerNorm_0/bias"][l], eps)
        q, kk, v = (np.einsum("td,dnh->tnh", y, p[a + n + "/kernel"][l]) + p[a + n + "/bias"][l] for n in ("query", "key", "value"))
        att = softmax(np.einsum("tnh,snh->nts", q, kk) / np.sqrt(q.shape[-1]))
        x = x + np.einsum("nts,snh,nhd->td", att, v, p[a + "out/kernel"][l]) + p[a + "out/bias"][l]
        y = layer_norm(x, p[e + "LayerNorm_1/scale"][l], p[e + "LayerNorm_1/bias"][l], eps)
        hid = gelu(y @ p[e + "MlpBlock_0/Dense_0/kernel"][l] + p[e + "MlpBlock_0/Dense_0/bias"][l])
        x = x + hid @ p[e + "MlpBlock_0/Dense_1/kernel"][l] + p[e + "MlpBlock_0/Dense_1/bias"][l]
    x = layer_norm(x, p["img/Transformer/encoder_norm/scale"], p["img/Transformer/encoder_norm/bias"], eps)
    return x @ p["img/head/kernel"] + p["img/head/bias"]


def decoder(p, zimg, text, mask_ar, f):
    emb = p["llm/embedder/input_embedding"]
    width = emb.shape[1]
    x = np.concatenate([zimg, emb[text] * np.sqrt(width)], 0)
    s = x.shape[0]
    prefix = np.concatenate([np.ones(len(zimg), bool), mask_ar == 0])
    i, j = np.arange(s)[:, None], np.arange(s)[None, :]
    both_prefix = prefix[:, None] & prefix[None, :]
    full = (j <= i) | both_prefix
    sliding = ((j <= i) & (i - j < f["window"])) | both_prefix if f["window"] else full
    L = "llm/layers/"
    g2 = L + "post_ffw_norm/scale" in p
    for l in range(p[L + "pre_attention_norm/scale"].shape[0]):
        h = rms_norm(x, p[L + "pre_attention_norm/scale"][l], f["eps"])
        if L + "attn/qkv_einsum/w" in p:
            w = p[L + "attn/qkv_einsum/w"][l]
            q, k, v = (np.einsum("tw,nwh->tnh", h, w[n]) for n in range(3))
        else:
            q = np.einsum("tw,nwh->tnh", h, p[L + "attn/q_einsum/w"][l])
            kv = p[L + "attn/kv_einsum/w"][l]
            k, v = np.einsum("tw,kwh->tkh", h, kv[0]), np.einsum("tw,kwh->tkh", h, kv[1])
        q, k = rope(q, f["theta"]) * f["query_scalar"] ** -0.5, rope(k, f["theta"])
        rep = q.shape[1] // k.shape[1]
        k, v = np.repeat(k, rep, 1), np.repeat(v, rep, 1)
        logits = np.einsum("tnh,snh->nts", q, k)
        if f["attn_softcap"]:
            logits = f["attn_softcap"] * np.tanh(logits / f["attn_softcap"])
        mask = sliding if f["layer_types"][l] == "sliding_attention" else full
        att = softmax(np.where(mask[None], logits, -2.3819763e38))
        o = np.einsum("nts,snh,nhw->tw", att, v, p[L + "attn/attn_vec_einsum/w"][l])
        if g2:
            o = rms_norm(o, p[L + "post_attention_norm/scale"][l], f["eps"])
        x = x + o
        h = rms_norm(x, p[L + "pre_ffw_norm/scale"][l], f["eps"])
        g = p[L + "mlp/gating_einsum"][l]
        m = (gelu(h @ g[0]) * (h @ g[1])) @ p[L + "mlp/linear"][l]
        if g2:
            m = rms_norm(m, p[L + "post_ffw_norm/scale"][l], f["eps"])
        x = x + m
    x = rms_norm(x, p["llm/final_norm/scale"], f["eps"])
    return x[len(zimg):] @ emb.T


def main():
    params, inputs, mask_key, out, facts = sys.argv[1:6]
    f = json.loads(facts)
    p = {k: v.astype(np.float64) for k, v in np.load(params).items()}
    z = np.load(inputs)
    img, text, mask = z["image_nhwc"].astype(np.float64), z["text"], z[mask_key]
    logits = [decoder(p, vision(p, img[b], f["vision_eps"]), text[b], mask[b], f) for b in range(len(text))]
    np.save(out, np.stack(logits).astype(np.float32))


main()
