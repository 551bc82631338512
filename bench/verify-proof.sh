#!/usr/bin/env bash
# The weights proof on a full-size PaliGemma 3B: `verify --weights-only` of the synthetic checkpoint against its f16
# HF conversion and its q4 split export, beside the floor of reading both models once (cat to /dev/null), in the
# same run and with the same (warm) page cache. usage: bench/verify-proof.sh [WORKDIR]
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
hf="$work/proof-hf16" web="$work/proof-web"
[ -d "$hf" ] || "$bin" jax2hf "$ck" "$hf" --dtype f16 >/dev/null 2>&1
[ -d "$web" ] || "$bin" export-onnx "$ck" "$web" --layout split --dtype q4 >/dev/null 2>&1
# verify's own figures, with the time of the whole process beside them (stderr holds the assumed-facts warning)
timed() { /usr/bin/time -f "%e s wall, %M KB peak RSS" -o "$work/time.txt" "$@" 2>/dev/null | grep -E '^weights|PASS|FAIL'
  cat "$work/time.txt"; }
for i in 1 2; do
  echo "== floor: read source and f16 target once (run $i)"
  measure sh -c "cat $ck $hf/*.safetensors > /dev/null"
  echo "== verify --weights-only, f16 HF target (run $i)"
  timed "$bin" verify "$ck" "$hf" --weights-only
  echo "== floor: read source and q4 target once (run $i)"
  measure sh -c "cat $ck $web/onnx/*_q4.onnx_data > /dev/null"
  echo "== verify --weights-only, q4 split target (run $i)"
  timed "$bin" verify "$ck" "$web" --dtype q4 --weights-only
done
