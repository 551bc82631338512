#!/usr/bin/env bash
# Merging a rank-64 LoRA adapter on all decoder linears of the synthetic PaliGemma 3B, beside a plain conversion of
# the same model in the same run, and the write floor.
# usage: bench/adapter.sh [WORKDIR]   (needs ~50 GB free: 6.2 GB input, 3 x 11.7 GB outputs, a 0.45 GB adapter)
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
/usr/bin/python3 bench/make_adapter.py "$work/adapter-r64"
du -sb "$work/adapter-r64"
cat "$ck" "$work/adapter-r64/adapter_model.safetensors" >/dev/null   # inputs in the page cache for every run

echo "== floor: write 11.7 GB of zeros + sync"
rm -f "$work/zeros"; measure sh -c "head -c 11692000000 /dev/zero > $work/zeros && sync"; rm -f "$work/zeros"

echo "== plain: jax2hf --dtype f32"
rm -rf "$work/plain"
measure sh -c "$bin jax2hf --dtype f32 $ck $work/plain >/dev/null && sync"

echo "== merged while converting: jax2hf --dtype f32 --adapter"
rm -rf "$work/merged"
measure sh -c "$bin jax2hf --dtype f32 --adapter $work/adapter-r64 $ck $work/merged >/dev/null && sync"

echo "== merge-adapter on the HF folder (HF in, HF out)"
rm -rf "$work/merged-hf"
measure sh -c "$bin merge-adapter $work/plain $work/adapter-r64 $work/merged-hf >/dev/null && sync"

echo "== the two merges agree, and differ from the plain conversion in the 126 adapted tensors only"
"$bin" diff "$work/merged" "$work/merged-hf" | tail -2 || true
"$bin" diff "$work/plain" "$work/merged" | grep -c "changed" || true
rm -rf "$work/plain" "$work/merged" "$work/merged-hf"
