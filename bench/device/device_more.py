"""device_check.py's processor and split-layout checks (see its docstring)."""
import json
import os

import numpy as np

from device_check import golden, report

SUFFIXES = {"fp32": "", "fp16": "_fp16", "q8": "_quantized", "q4": "_q4", "q4f16": "_q4f16"}
PROMPTS = ["caption en", "answer en what  color is the\tfox?", "détecte 42 chats 😀 Ω", ""]


def check_processor(out, case):
    import sentencepiece as spm
    import torch
    from PIL import Image
    from transformers import AutoProcessor, PaliGemmaForConditionalGeneration
    z, m, n_img = golden(case)
    cfg = json.load(open(os.path.join(out, "config.json")))
    proc = AutoProcessor.from_pretrained(out)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(out, "tokenizer.model"))
    pixels = ((z["image_nhwc"][0] + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    image_ids = [cfg["image_token_index"]] * n_img
    bad, worst_px = [], 0.0
    for p in PROMPTS:
        enc = proc(text=p, images=image, return_tensors="np")
        want = image_ids + [sp.bos_id()] + sp.encode(p + "\n")
        got = enc["input_ids"][0].tolist()
        if got != want:
            bad.append({"prompt": p, "got": got[n_img:], "want": want[n_img:], "image_ids": got[:n_img] == image_ids})
        px = enc["pixel_values"][0].transpose(1, 2, 0)
        worst_px = max(worst_px, float(np.abs(px - (pixels / 255.0 - 0.5) / 0.5).max()))
    enc = proc(text="caption en", images=image, suffix="a red fox", return_tensors="np")
    prefix = image_ids + [sp.bos_id()] + sp.encode("caption en\n")
    suffix = sp.encode("a red fox") + [sp.eos_id()]
    tt = enc.get("token_type_ids")
    suffix_ok = (enc["input_ids"][0].tolist() == prefix + suffix and tt is not None
                 and tt[0].tolist() == [0] * len(prefix) + [1] * len(suffix))
    model = PaliGemmaForConditionalGeneration.from_pretrained(out, dtype=torch.float32).eval()
    enc = proc(text="caption en", images=image, return_tensors="pt")
    with torch.no_grad():
        first = int(model(**enc).logits[0, -1].argmax())
        gen = model.generate(**enc, max_new_tokens=4, do_sample=False)
    new = gen[0, enc["input_ids"].shape[1]:].tolist()
    report(not bad and worst_px <= 1e-6 and suffix_ok and new[:1] == [first],
           id_mismatches=bad[:3], pixel_max_abs_diff=worst_px, suffix_ids_and_types=suffix_ok,
           image_token_id=getattr(proc, "image_token_id", None), generated=new, argmax=first,
           decoded=proc.decode(new, skip_special_tokens=False))


def split_logits(sessions, z, mask):
    vision, embed, dec = sessions
    kinds = {i.name: i for i in dec.get_inputs()}
    kv = [n for n in kinds if n.startswith("past_key_values.")]

    def feed(name, x):
        return x.astype(np.float16) if kinds[name].type == "tensor(float16)" else x
    rows = []
    for b in range(z["text"].shape[0]):
        img = vision.run(["image_features"], {"pixel_values": z["image_nhwc"][b:b + 1].transpose(0, 3, 1, 2).copy()})[0]
        txt = embed.run(["inputs_embeds"], {"input_ids": z["text"][b:b + 1].astype(np.int64)})[0]
        seq = np.concatenate([img, txt], 1).astype(np.float32)
        tokens, t = img.shape[1], txt.shape[1]
        k, h = kinds[kv[0]].shape[1], kinds[kv[0]].shape[3]
        past = {n: np.zeros((1, k, 0, h), np.float32) for n in kv}
        start, out = 0, []
        while start < tokens + t:
            end = tokens if start == 0 else start + 1
            while end < tokens + t and mask[b, end - tokens] == 0:
                end += 1
            feeds = {"inputs_embeds": feed("inputs_embeds", seq[:, start:end]),
                     "attention_mask": np.ones((1, end), np.int64),
                     "position_ids": np.arange(start, end, dtype=np.int64)[None]}
            feeds.update({n: feed(n, v) for n, v in past.items()})
            res = dec.run(["logits"] + [n.replace("past_key_values.", "present.") for n in kv], feeds)
            out.append(res[0][0, max(start, tokens) - start:].astype(np.float32))
            past = {n: v.astype(np.float32) for n, v in zip(kv, res[1:])}
            start = end
        rows.append(np.concatenate(out, 0))
    return np.stack(rows)


def check_split(hub, case):
    import onnx
    import onnxruntime as ort
    z, m, _ = golden(case)
    mask = z["mask_ar_prefixlm"]
    results, ok, fp32 = {}, True, None
    for dtype, sfx in SUFFIXES.items():
        files = [os.path.join(hub, "onnx", f"{n}{sfx}.onnx") for n in ("vision_encoder", "embed_tokens", "decoder_model_merged")]
        r = {}
        try:
            for f in files:
                onnx.checker.check_model(f, full_check=True)
            r["checker"] = "full"
        except Exception as e:  # report it, then see whether the structural check alone passes
            r["checker_full_error"] = str(e).splitlines()[0][:200]
            for f in files:
                onnx.checker.check_model(f)
            r["checker"] = "structural"
        sessions = [ort.InferenceSession(f, providers=["CPUExecutionProvider"]) for f in files]
        lg = split_logits(sessions, z, mask)
        want = np.load(os.path.join(os.path.dirname(hub), f"expected-{dtype}.npy"))
        d = float(np.abs(lg - want).max())
        tol = 2 * float(np.abs(want).max()) / 1024 if dtype == "q4f16" else 1e-3
        r.update(vs_csharp_max_abs=d, tol=tol)
        ok &= d <= tol and "checker_full_error" not in r
        if fp32 is not None:
            r["vs_fp32_max_abs"] = float(np.abs(lg - fp32).max())
        if dtype == "fp32":
            fp32 = lg
            ref = np.load(os.path.join(case, "logits.jax.f32.prefixlm.npy"))
            v = min(lg.shape[-1], ref.shape[-1])
            r["vs_golden_max_abs"] = float(np.abs(lg[..., :v] - ref[..., :v]).max())
            ok &= r["vs_golden_max_abs"] <= 1e-4
        results[dtype] = r
    report(ok, onnxruntime=ort.__version__, onnx=onnx.__version__, **results)
