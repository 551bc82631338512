"""An independent numpy LoRA oracle, written from PEFT's documented format (docs/source/developer_guides/checkpoint.md,
tuners/lora/config.py, tuners/lora/layer.py), sharing no code with paliconvert.

  lora_oracle.py make BASE_FOLDER OUT_DIR SPEC.json   write a PEFT adapter for the base (random factors, seeded)
  lora_oracle.py merge BASE_FOLDER ADAPTER_DIR OUT    write the merged model as a Hugging Face folder (float32)

SPEC: {"config": {adapter_config.json fields}, "spelling": "hub" | "in-memory", "seed": 0, "dtype": "F32" | "BF16"}.
"""
import json, math, os, re, shutil, struct, sys
import numpy as np

PREFIX = "base_model.model."
TO_MEMORY = [("language_model.model.", "model.language_model."), ("vision_tower.vision_model.", "model.vision_tower.vision_model."),
             ("multi_modal_projector.", "model.multi_modal_projector.")]
EMBEDDINGS = ("embed_tokens", "position_embedding")


def read_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        raw = data[a:b]
        if v["dtype"] == "F32":
            x = np.frombuffer(raw, "<f4")
        elif v["dtype"] == "BF16":
            x = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view("<f4")
        else:
            raise SystemExit("dtype " + v["dtype"])
        out[k] = x.reshape(v["shape"]).astype(np.float32)
    return out


def write_st(path, tensors, dtype="F32"):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        x = np.ascontiguousarray(tensors[k], dtype=np.float32)
        if dtype == "BF16":  # round to nearest even
            u = x.view(np.uint32).astype(np.uint64)
            raw = (((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")).tobytes()
        else:
            raw = x.astype("<f4").tobytes()
        header[k] = {"dtype": dtype, "shape": list(x.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def trained(name, spelling):
    if spelling != "in-memory":
        return name
    for hub, mem in TO_MEMORY:
        if name.startswith(hub):
            return mem + name[len(hub):]
    return name


def to_hub(name):
    for hub, mem in TO_MEMORY:
        if name.startswith(mem):
            return hub + name[len(mem):]
    return name


def layer_of(key, patterns):
    tries = [rf".*\.{p}\.(\d+)\." for p in patterns] if patterns else [r".*\.[^.]*\.(\d+)\."]
    for t in tries:
        m = re.match(t, key + ".")
        if m:
            return int(m.group(1))
    return None


def targeted(cfg, key, linear):
    t = cfg.get("target_modules")
    if t == "all-linear":
        hit = linear
    elif isinstance(t, str):
        hit = re.fullmatch(t, key) is not None
    else:
        hit = any(key == x or key.endswith("." + x) for x in (t or []))
    layers = cfg.get("layers_to_transform")
    if hit and layers is not None:
        layers = [layers] if isinstance(layers, int) else layers
        lp = cfg.get("layers_pattern")
        lp = [lp] if isinstance(lp, str) else lp
        hit = layer_of(key, lp) in layers
    return hit


def pattern(patterns, key, default):
    for p, v in (patterns or {}).items():
        if re.match(rf"(.*\.)?({p})$", key):
            return v
    return default


def make(base, out, spec_path):
    spec = json.load(open(spec_path))
    cfg, spelling = spec["config"], spec.get("spelling", "hub")
    rng = np.random.default_rng(spec.get("seed", 0))
    w = read_st(os.path.join(base, "model.safetensors"))
    tensors = {}
    for name in sorted(w):
        if not name.endswith(".weight") or w[name].ndim != 2:
            continue
        module = trained(name[:-len(".weight")], spelling)
        embedding = module.rsplit(".", 1)[-1] in EMBEDDINGS
        if not targeted(cfg, module, not embedding):
            continue
        r = pattern(cfg.get("rank_pattern"), module, cfg.get("r", 8))
        rows, cols = w[name].shape
        k = PREFIX + module
        if embedding:
            tensors[k + ".lora_embedding_A"] = rng.normal(0, 0.3, (r, rows))
            tensors[k + ".lora_embedding_B"] = rng.normal(0, 0.3, (cols, r))
            continue
        tensors[k + ".lora_A.weight"] = rng.normal(0, 0.3, (r, cols))
        tensors[k + ".lora_B.weight"] = rng.normal(0, 0.3, (rows, r))
        if cfg.get("use_dora"):
            tensors[k + ".lora_magnitude_vector"] = np.linalg.norm(w[name], axis=1) * rng.uniform(0.5, 1.5, rows)
    for m in cfg.get("modules_to_save") or []:
        for name in sorted(w):
            key = trained(name, spelling)
            if key.startswith(m + ".") or ("." + m + ".") in key:
                tensors[PREFIX + key] = w[name] + rng.normal(0, 0.1, w[name].shape)
    os.makedirs(out, exist_ok=True)
    write_st(os.path.join(out, "adapter_model.safetensors"), tensors, spec.get("dtype", "F32"))
    json.dump(dict(peft_type="LORA", **cfg), open(os.path.join(out, "adapter_config.json"), "w"), indent=2)


def merge(base, adapter, out):
    cfg = json.load(open(os.path.join(adapter, "adapter_config.json")))
    w = read_st(os.path.join(base, "model.safetensors"))
    a = read_st(os.path.join(adapter, "adapter_model.safetensors"))
    merged = dict(w)
    modules = sorted({k[len(PREFIX):].rsplit(".lora_", 1)[0] for k in a if ".lora_" in k})
    for module in modules:
        k = PREFIX + module
        name = to_hub(module) + ".weight"
        if k + ".lora_A.weight" in a:
            A, B = a[k + ".lora_A.weight"], a[k + ".lora_B.weight"]
            r = A.shape[0]
            delta = B @ A
        else:
            A, B = a[k + ".lora_embedding_A"], a[k + ".lora_embedding_B"]
            r = A.shape[0]
            delta = (B @ A).T
        alpha = pattern(cfg.get("alpha_pattern"), module, cfg.get("lora_alpha", 8))
        scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        new = w[name] + np.float32(scale) * delta.astype(np.float32)
        if k + ".lora_magnitude_vector" in a:
            norm = np.linalg.norm(new, axis=1)
            new = (a[k + ".lora_magnitude_vector"] / norm)[:, None] * new
        merged[name] = new.astype(np.float32)
    for k, v in a.items():
        if ".lora_" not in k:
            merged[to_hub(k[len(PREFIX):])] = v
    os.makedirs(out, exist_ok=True)
    write_st(os.path.join(out, "model.safetensors"), merged)
    for f in ("config.json", "generation_config.json"):
        if os.path.exists(os.path.join(base, f)):
            shutil.copy(os.path.join(base, f), os.path.join(out, f))


if __name__ == "__main__":
    {"make": make, "merge": merge}[sys.argv[1]](*sys.argv[2:])
