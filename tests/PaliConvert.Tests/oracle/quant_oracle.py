"""The oracle for quantized ONNX weights: ONNX Runtime's quantizers' arithmetic written again in numpy.

usage: quant_oracle.py SAFETENSORS DUMP_DIR MODE BLOCK SYMMETRIC
  DUMP_DIR/manifest.json lists the export's initializers {name: [onnx dtype name, dims, file]}, each file raw bytes.
  MODE q8 | q4 | q4f16. For every source [out, in] weight whose quantized form the export holds, prints
  {weight: {"elements", "codes_mismatch", "scales_max_diff", "zeros_mismatch", "max_error_steps"}} where
  max_error_steps is the largest |dequantized - source| in units of the weight's own step (its scale).

q8 (onnxruntime.quantization.quantize_dynamic, per channel): codes [in, out]; symmetric int8 in the reduced range
  (reduce_range=True: -64..64, so uint8 x int8 pairs cannot saturate) with scale max|w| * 2 / 128 and zero point 0, asymmetric uint8 with scale (max - min) / 255 over a range holding 0 and zero
  point round(-min / scale); codes round(w / scale) + zero point, numpy's half-to-even, clipped.
q4 (MlasQuantizeBlockwise, MatMulNBits): blocks of BLOCK along in; symmetric scale = the value of largest magnitude
  / -8, zero point 8; asymmetric scale = (max - min) / 15, zero point roundf(-min / scale); codes
  roundf(w * (1 / scale) + zero point) clipped to 0..15 (roundf: half away from zero), two per byte, low first,
  padding past `in` holding the zero point. q4f16 rounds each scale to float16 before using it.
"""
import json
import struct
import sys

import numpy as np

F32 = np.float32


def safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw[base + a:base + b], dtype=F32).reshape(t["shape"])
    return out


def roundf(x):
    return (np.sign(x) * np.floor(np.abs(x.astype(np.float64)) + 0.5)).astype(F32)


def q8(w, symmetric):
    mn = np.minimum(w.min(axis=1), F32(0))
    mx = np.maximum(w.max(axis=1), F32(0))
    if symmetric:
        absmax = np.maximum(-mn, mx)
        lo, hi = -64, 64
        scale = np.where(absmax == 0, F32(1), absmax * F32(2) / F32(hi - lo)).astype(F32)
        zero = np.zeros_like(scale)
    else:
        scale = np.where(mx == mn, F32(1), (mx - mn) / F32(255)).astype(F32)
        zero = np.clip(np.round(-mn / scale), 0, 255).astype(F32)
        lo, hi = 0, 255
    codes = np.clip(np.round(w / scale[:, None]) + zero[:, None], lo, hi)
    return codes.T, scale, zero


def q4(w, block, symmetric, half):
    n, k = w.shape
    blocks = -(-k // block)
    padded = np.full((n, blocks * block), np.nan, dtype=F32)
    padded[:, :k] = w
    b = padded.reshape(n, blocks, block)
    mn, mx = np.nanmin(b, axis=2), np.nanmax(b, axis=2)
    if symmetric:
        scale = (np.where(np.abs(mx) > np.abs(mn), mx, mn) / F32(-8)).astype(F32)
        zero = np.full(scale.shape, 8, dtype=F32)
    else:
        mn, mx = np.minimum(mn, F32(0)), np.maximum(mx, F32(0))
        scale = ((mx - mn) / F32(15)).astype(F32)
        with np.errstate(divide="ignore", invalid="ignore"):
            zf = np.where(scale != 0, -mn / scale, mn).astype(F32)
        zero = np.where(zf < 0, F32(0), np.where(zf > 15, F32(15), roundf(zf)))
    if half:
        scale = scale.astype(np.float16).astype(F32)
    with np.errstate(divide="ignore"):
        recip = np.where(scale != 0, F32(1) / scale, F32(0)).astype(F32)
    codes = np.clip(roundf(b * recip[:, :, None] + zero[:, :, None]), 0, 15)
    codes = np.where(np.isnan(b), zero[:, :, None], codes)
    return codes, scale, zero


def load(dump, manifest, name):
    kind, dims, file = manifest[name]
    dtype = {"Int8": np.int8, "Uint8": np.uint8, "Float": F32, "Float16": np.float16}[kind]
    return np.fromfile(f"{dump}/{file}", dtype=dtype).reshape(dims).astype(np.float64)


def main():
    source, dump, mode, block, symmetric = sys.argv[1:6]
    block, symmetric = int(block), symmetric == "true"
    manifest = json.load(open(f"{dump}/manifest.json"))
    weights = safetensors(source)
    out = {}
    for name, w in weights.items():
        if mode == "q8" and name + "_quantized" in manifest:
            codes, scale, zero = q8(w, symmetric)
            got_codes = load(dump, manifest, name + "_quantized")
            got_scale = load(dump, manifest, name + "_scale")
            got_zero = load(dump, manifest, name + "_zero_point")
            deq = (got_codes - got_zero[None, :]) * got_scale[None, :]
            err = np.abs(deq - w.T.astype(np.float64)) / got_scale[None, :]
        elif mode in ("q4", "q4f16") and name + "_Q4" in manifest:
            codes, scale, zero = q4(w, block, symmetric, mode == "q4f16")
            packed = load(dump, manifest, name + "_Q4").astype(np.uint8)
            got_codes = np.stack([packed & 15, packed >> 4], axis=-1).reshape(codes.shape).astype(np.float64)
            got_scale = load(dump, manifest, name + "_scales").reshape(scale.shape)
            if symmetric:
                got_zero = np.full(scale.shape, 8.0)
            else:
                zp = load(dump, manifest, name + "_zero_points").astype(np.uint8).reshape(scale.shape[0], -1)
                got_zero = np.stack([zp & 15, zp >> 4], axis=-1).reshape(scale.shape[0], -1)[:, :scale.shape[1]]
            deq = ((got_codes - got_zero[:, :, None]) * got_scale[:, :, None]).reshape(w.shape[0], -1)[:, :w.shape[1]]
            step = np.repeat(np.abs(got_scale), block, axis=1)[:, :w.shape[1]]
            with np.errstate(divide="ignore", invalid="ignore"):
                err = np.where(step > 0, np.abs(deq - w) / step, np.abs(deq - w))
        else:
            continue
        out[name] = {
            "elements": int(w.size),
            "codes_mismatch": int(np.sum(codes != got_codes)),
            "scales_max_diff": float(np.max(np.abs(scale - got_scale))),
            "zeros_mismatch": int(np.sum(zero != got_zero)),
            "max_error_steps": float(np.max(err)),
        }
    print(json.dumps(out))


main()
