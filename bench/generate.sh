#!/usr/bin/env bash
# Generation speed on the synthetic PaliGemma 3B (224 px: 256 image tokens and a short prompt), in one run:
# `paliconvert generate` in the reference pass on the checkpoint's own dtypes, on f32 and on bf16, and in ONNX Runtime on the
# fp32, q8 and q4 variants of one split export, each beside transformers.js on onnxruntime-node on the same variant,
# and the memory-bandwidth floor of a decode step (the decoder's weight bytes, which each new token reads once, over a
# measured memory copy speed).
# usage: bench/generate.sh [WORKDIR]   (needs python3-numpy, python3-pil, node; tests/js's lockfile is reused)
set -euo pipefail
work=$(realpath -m "${1:-bench/work}")
source "$(dirname "$0")/common.sh"
tok="$work/tok257152.model"; img="$work/bench.png"; web="$work/web-3b"; n=16; f32="$work/pg1-3b-224.f32.npz"
[ -f "$tok" ] || /usr/bin/python3 bench/make_tokenizer.py 257152 "$tok"
[ -f "$img" ] || /usr/bin/python3 -c "
from PIL import Image; import random; random.seed(0)
im = Image.new('RGB', (640, 480)); im.putdata([(x % 256, y % 256, random.randint(0, 255)) for y in range(480) for x in range(640)])
im.save('$img')"
[ -d tests/js/node_modules ] || npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
for d in q4 q8 fp32; do
  if [ ! -f "$web/onnx/decoder_model_merged$( [ $d = fp32 ] || echo _$( [ $d = q8 ] && echo quantized || echo $d )).onnx" ]; then
    echo "== export-onnx $d split (once)"
    measure "$bin" export-onnx "$ck" "$web" --layout split --dtype $d --tokenizer "$tok" >/dev/null
  fi
done
[ -f "$f32" ] || "$bin" synth --variant pg1-3b-224 --dtype f32 --seed 0 "$f32" >/dev/null
bf16="$work/pg1-3b-224.bf16.npz"
[ -f "$bf16" ] || "$bin" synth --variant pg1-3b-224 --dtype bf16 --seed 0 "$bf16" >/dev/null
figures() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); n=len(d.get('generated_ids', [])) or d['generated']; print(f\"prefill {d['prefill_seconds']:.2f} s, decode {d['decode_tokens_per_second']:.2f} tokens/s ({n} new tokens)\")" "$1"; }
echo "== reference pass, the checkpoint's own dtypes (mixed f32/f16), $n new tokens"
measure "$bin" generate "$ck" --image "$img" --prompt "caption en" --max-new-tokens $n --tokenizer "$tok" --json 2>"$work/gen.err" > "$work/gen-ref.json" || cat "$work/gen.err"
figures "$work/gen-ref.json"
echo "== reference pass, f32 (the same values), $n new tokens"
measure "$bin" generate "$f32" --image "$img" --prompt "caption en" --max-new-tokens $n --tokenizer "$tok" --json 2>"$work/gen.err" > "$work/gen-ref32.json" || cat "$work/gen.err"
figures "$work/gen-ref32.json"
echo "== reference pass, bf16 (Hugging Face's and big_vision's usual dtype), $n new tokens"
measure "$bin" generate "$bf16" --image "$img" --prompt "caption en" --max-new-tokens $n --tokenizer "$tok" --json 2>"$work/gen.err" > "$work/gen-ref16.json" || cat "$work/gen.err"
figures "$work/gen-ref16.json"
for d in q4 q8 fp32; do
  echo "== ONNX Runtime, $d split (the cache fed as transformers.js feeds it)"
  measure "$bin" generate "$web" --dtype $d --image "$img" --prompt "caption en" --max-new-tokens $n --json > "$work/gen-ort-$d.json"
  figures "$work/gen-ort-$d.json"
  echo "== transformers.js 4.3.1 on onnxruntime-node, the same $d split"
  measure node bench/generate_js.mjs "$web" $d "$img" "caption en" $n > "$work/gen-js-$d.json"
  figures "$work/gen-js-$d.json"
done
echo "== the floor: decoder weight bytes per token / memory copy speed"
/usr/bin/python3 - "$ck" "$f32" "$web" "$bf16" <<'PY'
import os, sys, time, zipfile
import numpy as np
ck, f32, web, bf16 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
a = np.ones(1 << 28, dtype=np.float32); b = np.empty_like(a)
best = min((lambda t: (np.copyto(b, a), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
speed = 2 * a.nbytes / best  # read and write
print(f"copy {speed / 1e9:.1f} GB/s")
for name, path in [("reference, own dtypes", ck), ("reference, f32", f32), ("reference, bf16", bf16)]:
    llm = sum(i.file_size for i in zipfile.ZipFile(path).infolist() if i.filename.startswith("llm/"))
    print(f"{name}: decoder weights {llm / 1e9:.2f} GB -> at most {speed / llm:.2f} tokens/s")
for d, suffix in [("q4", "_q4"), ("q8", "_quantized"), ("fp32", "")]:
    size = os.path.getsize(os.path.join(web, "onnx", f"decoder_model_merged{suffix}.onnx_data"))
    print(f"{d}: decoder weights {size / 1e9:.2f} GB -> at most {speed / size:.2f} tokens/s")
PY
