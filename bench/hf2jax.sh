#!/usr/bin/env bash
# hf2jax on the full-size PaliGemma 3B output of the jax2hf benchmark (f32, 7 shards), and the round trip checked.
# usage: bench/hf2jax.sh [WORKDIR]   (needs ~36 GB free)
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
rm -rf "$work/hf" "$work/back.npz" "$work/back-keep.npz"
"$bin" jax2hf --dtype f32 "$ck" "$work/hf" >/dev/null
cat "$work"/hf/*.safetensors >/dev/null   # input in the page cache, as for jax2hf

echo "== floor: read the input (cat, warm) and write 11.7 GB of zeros + sync"
measure sh -c "cat $work/hf/*.safetensors >/dev/null"
rm -f "$work/zeros"; measure sh -c "head -c 11692000000 /dev/zero > $work/zeros && sync"; rm -f "$work/zeros"

echo "== paliconvert hf2jax (f32 folder -> f32 npz)"
measure sh -c "$bin hf2jax $work/hf $work/back.npz >/dev/null && sync"
ls -l "$work/back.npz"
rm -f "$work/back.npz"

echo "== round trip: jax2hf --dtype keep, then hf2jax, against the original (mixed f16/f32)"
rm -rf "$work/hf"
"$bin" jax2hf --dtype keep "$ck" "$work/hf" >/dev/null
measure sh -c "$bin hf2jax $work/hf $work/back-keep.npz >/dev/null && sync"
"$bin" diff "$ck" "$work/back-keep.npz" | tail -2
cmp <("$bin" inspect --json "$ck" | grep -v '"path"') <("$bin" inspect --json "$work/back-keep.npz" | grep -v '"path"') && echo "inspect reports identical"
rm -rf "$work/hf" "$work/back-keep.npz"
