#!/usr/bin/env bash
# verify's default logit bounds for rounded targets, against what correct conversions of the golden models give:
# for each model and encoding, the conversion's mean KL and top-1 as verify reports them, beside the bound verify
# applies once the weights are proved (src/PaliConvert.Core/Validation/Rounding.cs), and a keys/values swap's.
# usage: bench/verify-bounds.sh [WORKDIR]
set -euo pipefail
work=${1:-bench/work}/bounds
source "$(dirname "$0")/common.sh" 2>/dev/null || true
rm -rf "$work" && mkdir -p "$work"
row() { # model, what, source, target, verify options...
  local m=$1 what=$2 src=$3 tgt=$4; shift 4
  "$bin" verify "$src" "$tgt" --inputs "golden/$m/inputs.npz" --mask-key mask_ar_prefixlm --report "$work/r.json" --force \
    "$@" >/dev/null 2>&1 || true
  /usr/bin/python3 -c "
import json; r = json.load(open('$work/r.json')); s = r['summary']; w = r.get('weights') or {}
print('| $m | $what | %.3g | %.0f%% | %s | %s |' % (s['mean_kl'], 100 * s['top1_agreement'], s['tolerance'],
      'PASS' if s['passed'] and w.get('passed', True) else 'FAIL'))"
}
echo "| model | target | mean KL (nats) | top-1 | bound applied | verdict |"
echo "|---|---|---|---|---|---|"
for m in pg1-tiny pg2-tiny; do
  npz=golden/$m/params.f32.npz
  for d in f16 bf16; do
    "$bin" jax2hf "$npz" "$work/$m-$d" --dtype "$d" >/dev/null 2>&1
    row "$m" "jax2hf --dtype $d" "$npz" "$work/$m-$d"
  done
  for d in fp16 q8 q4 q4f16; do
    "$bin" export-onnx "$npz" "$work/$m-web" --layout split --dtype "$d" >/dev/null 2>&1
    row "$m" "split $d" "$npz" "$work/$m-web" --dtype "$d"
  done
done
