#!/usr/bin/env bash
# The 10B in the browser's format: the synthetic PaliGemma 2 10B at 224 px (bf16, zero weights as holes:
# bench/sparse_npz.py) exported to a split hub folder at q4 and q8, then loaded by transformers.js 4.3.1 on
# onnxruntime-node on this machine and generating: file sizes, export time and peak RSS, session RSS and first-token
# time. Zero weights make the tokens meaningless; the figures are about size, memory and speed.
# usage: bench/web-10b.sh [WORKDIR] [DTYPES]   (default q4 q8; needs ~20 GB free for the exports, node, python3-pil)
set -euo pipefail
work=$(realpath -m "${1:-bench/work}")
dtypes=${2:-q4 q8}
source "$(dirname "$0")/common.sh"
npz="$work/pg2-10b-224.sparse.npz"; web="$work/web-10b"; tok="$work/tok257152.model"; img="$work/bench.png"
[ -f "$npz" ] || /usr/bin/python3 bench/sparse_npz.py pg2-10b-224 "$npz" >/dev/null
[ -f "$tok" ] || /usr/bin/python3 bench/make_tokenizer.py 257152 "$tok"
[ -f "$img" ] || /usr/bin/python3 -c "
from PIL import Image; im = Image.new('RGB', (640, 480), (90, 120, 200)); im.save('$img')"
[ -d tests/js/node_modules ] || npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
rm -rf "$web"
for d in $dtypes; do
  echo "== export-onnx $d split"
  measure "$bin" export-onnx "$npz" "$web" --layout split --dtype $d --tokenizer "$tok" >/dev/null
done
du -sh "$web/onnx"/* | sort -k2
for d in $dtypes; do
  echo "== transformers.js on onnxruntime-node, $d: load, then generate 4 new tokens (prefill timed apart)"
  measure node bench/generate_js.mjs "$web" $d "$img" "caption en" 4
done
