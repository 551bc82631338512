#!/usr/bin/env bash
# Scale runs on synthetic bf16 checkpoints: 10B through synth, inspect, jax2hf --dtype keep, hf2jax, diff and verify
# (reference forward pass of both); 28B through synth, inspect and one reference forward pass (its jax2hf output
# would need another 56 GB of disk); 28b-sparse: the 28B's every step with all-zero weights left as holes
# (bench/sparse_npz.py; the HF output's zero blocks are dug out before hf2jax), so input and output fit the disk,
# though nothing is read from it. Each step's wall time and peak RSS.
# usage: bench/scale.sh [WORKDIR] [10b|28b|28b-sparse...]
set -euo pipefail
work=${1:-bench/work}
shift || true
sizes=${*:-10b 28b}
source "$(dirname "$0")/common.sh"
[ -f "$work/inputs-224.npz" ] || bench/forward.sh "$work"
for size in $sizes; do
  variant=pg2-${size%-sparse}-224
  npz="$work/$variant.bf16.npz"
  if [ "$size" = 28b-sparse ]; then
    npz="$work/$variant.zeros.npz"
    echo "== sparse_npz $variant (zeros, as holes)"
    measure /usr/bin/python3 bench/sparse_npz.py "$variant" "$npz" >/dev/null
    du -h "$npz"
  fi
  if [ ! -f "$npz" ]; then
    echo "== synth $variant bf16"
    measure "$bin" synth --variant "$variant" --dtype bf16 --seed 0 "$npz" >/dev/null
  fi
  ls -l "$npz"
  echo "== inspect"
  measure "$bin" inspect "$npz" | grep -iE "parameters|family|size" | head -3
  if [ "$size" != 28b ]; then
    rm -rf "$work/$variant-hf" "$work/$variant-back.npz"
    echo "== jax2hf --dtype keep"
    measure sh -c "$bin jax2hf --dtype keep $npz $work/$variant-hf >/dev/null 2>&1 && sync"
    if [ "$size" = 28b-sparse ]; then
      echo "== fallocate --dig-holes (the HF folder's zeros, so the round trip fits)"
      measure sh -c 'for f in "$0"/*.safetensors; do fallocate --dig-holes "$f"; done' "$work/$variant-hf"
      du -sh "$work/$variant-hf"
    fi
    echo "== hf2jax"
    measure sh -c "$bin hf2jax $work/$variant-hf $work/$variant-back.npz >/dev/null 2>&1 && sync"
    echo "== diff (the round trip)"
    measure "$bin" diff "$npz" "$work/$variant-back.npz" | tail -1
    rm -f "$work/$variant-back.npz"
    echo "== verify (reference forward pass of both, 256 image + 16 text tokens)"
    measure "$bin" verify "$npz" "$work/$variant-hf" --inputs "$work/inputs-224.npz" | grep -E "max \||top-1|PASS|FAIL"
    rm -rf "$work/$variant-hf"
  else
    echo "== logits (one reference forward pass, 256 image + 16 text tokens)"
    measure "$bin" logits "$npz" --inputs "$work/inputs-224.npz" --out "$work/logits-$size.npy" --force >/dev/null
  fi
  rm -f "$npz"
done
