"""A PEFT LoRA adapter on every decoder linear of a PaliGemma decoder, from its shapes alone (no base read).
usage: make_adapter.py OUT_DIR [--layers 18 --width 2048 --heads 8 --kv 1 --head-dim 256 --mlp 16384 --rank 64 --alpha 128]"""
import argparse, json, os, struct
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
for k, v in dict(layers=18, width=2048, heads=8, kv=1, head_dim=256, mlp=16384, rank=64, alpha=128).items():
    p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
a = p.parse_args()
q, kv, w, r = a.heads * a.head_dim, a.kv * a.head_dim, a.width, a.rank
shapes = {"self_attn.q_proj": (q, w), "self_attn.k_proj": (kv, w), "self_attn.v_proj": (kv, w), "self_attn.o_proj": (w, q),
          "mlp.gate_proj": (a.mlp, w), "mlp.up_proj": (a.mlp, w), "mlp.down_proj": (w, a.mlp)}
tensors = []
for l in range(a.layers):
    for m, (o, i) in shapes.items():
        k = f"base_model.model.language_model.model.layers.{l}.{m}"
        tensors += [(k + ".lora_A.weight", (r, i)), (k + ".lora_B.weight", (o, r))]
header, off = {}, 0
for name, s in tensors:
    n = s[0] * s[1] * 4
    header[name] = {"dtype": "F32", "shape": list(s), "data_offsets": [off, off + n]}
    off += n
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(0)
with open(os.path.join(a.out, "adapter_model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for name, s in tensors:
        f.write((rng.standard_normal(s, dtype=np.float32) * 0.01).tobytes())
json.dump({"peft_type": "LORA", "r": r, "lora_alpha": a.alpha, "target_modules": r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)",
           "bias": "none", "task_type": "CAUSAL_LM"}, open(os.path.join(a.out, "adapter_config.json"), "w"), indent=2)
