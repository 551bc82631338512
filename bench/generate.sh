#!/usr/bin/env bash
# Generation speed on the synthetic PaliGemma 3B (224 px: 256 image tokens and a short prompt), in one run:
# `paliconvert generate` in the reference pass on the checkpoint's own dtypes and in ONNX Runtime on a q4 split export,
# beside transformers.js on onnxruntime-node on the same export, and the memory-bandwidth floor of a decode step (the
# decoder's weight bytes, which each new token reads once, over a measured memory copy speed).
# usage: bench/generate.sh [WORKDIR]   (needs python3-numpy, python3-pil, node; tests/js's lockfile is reused)
set -euo pipefail
work=$(realpath -m "${1:-bench/work}")
source "$(dirname "$0")/common.sh"
tok="$work/tok257152.model"; img="$work/bench.png"; web="$work/web-3b-q4"; n=16
[ -f "$tok" ] || /usr/bin/python3 bench/make_tokenizer.py 257152 "$tok"
[ -f "$img" ] || /usr/bin/python3 -c "
from PIL import Image; import random; random.seed(0)
im = Image.new('RGB', (640, 480)); im.putdata([(x % 256, y % 256, random.randint(0, 255)) for y in range(480) for x in range(640)])
im.save('$img')"
[ -d tests/js/node_modules ] || npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
if [ ! -d "$web" ]; then
  echo "== export-onnx q4 split (once)"
  measure "$bin" export-onnx "$ck" "$web" --layout split --dtype q4 --tokenizer "$tok" >/dev/null
fi
figures() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); n=len(d.get('generated_ids', [])) or d['generated']; print(f\"prefill {d['prefill_seconds']:.2f} s, decode {d['decode_tokens_per_second']:.2f} tokens/s ({n} new tokens)\")" "$1"; }
echo "== reference pass, the checkpoint's own dtypes (mixed f32/f16), $n new tokens"
measure "$bin" generate "$ck" --image "$img" --prompt "caption en" --max-new-tokens $n --tokenizer "$tok" --json 2>"$work/gen.err" > "$work/gen-ref.json" || cat "$work/gen.err"
figures "$work/gen-ref.json"
echo "== ONNX Runtime, q4 split (the cache fed as transformers.js feeds it)"
measure "$bin" generate "$web" --image "$img" --prompt "caption en" --max-new-tokens $n --json > "$work/gen-ort.json"
figures "$work/gen-ort.json"
echo "== transformers.js 4.3.1 on onnxruntime-node, the same q4 split"
measure node bench/generate_js.mjs "$web" q4 "$img" "caption en" $n > "$work/gen-js.json"
figures "$work/gen-js.json"
echo "== the floor: decoder weight bytes per token / memory copy speed"
/usr/bin/python3 - "$ck" "$web" <<'PY'
import os, sys, time, zipfile
import numpy as np
ck, web = sys.argv[1], sys.argv[2]
llm = sum(i.file_size for i in zipfile.ZipFile(ck).infolist() if i.filename.startswith("llm/"))
q4 = os.path.getsize(os.path.join(web, "onnx", "decoder_model_merged_q4.onnx_data"))
a = np.ones(1 << 28, dtype=np.float32); b = np.empty_like(a)
best = min((lambda t: (np.copyto(b, a), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
speed = 2 * a.nbytes / best  # read and write
print(f"copy {speed / 1e9:.1f} GB/s; reference decoder weights {llm / 1e9:.2f} GB -> at most {speed / llm:.2f} tokens/s; "
      f"q4 decoder {q4 / 1e9:.2f} GB -> at most {speed / q4:.2f} tokens/s")
PY
