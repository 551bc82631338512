#!/usr/bin/env bash
# jax2hf on a full-size PaliGemma 3B beside the peer (bench/peer/hf_style_convert.py), with the I/O floor.
# usage: bench/jax2hf.sh [WORKDIR]   (needs ~36 GB free: 6.2 GB input, 2 x 11.7 GB outputs, 11.7 GB zeros)
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
cat "$ck" >/dev/null   # both converters start with the input in the page cache

echo "== floor: read the input (cat, warm) and write 11.7 GB of zeros + sync"
measure cat "$ck" >/dev/null
rm -f "$work/zeros"; measure sh -c "head -c 11692000000 /dev/zero > $work/zeros && sync"; rm -f "$work/zeros"

echo "== paliconvert jax2hf --dtype f32"
rm -rf "$work/ours"
measure sh -c "$bin jax2hf --dtype f32 $ck $work/ours >/dev/null && sync"
du -sb "$work/ours"

echo "== peer: hf_style_convert.py"
rm -rf "$work/peer"
measure sh -c "/usr/bin/python3 bench/peer/hf_style_convert.py $ck $work/peer >/dev/null && sync"
du -sb "$work/peer"

echo "== do they agree? (paliconvert diff: padding rows are random in the peer, so embed_tokens differs)"
"$bin" diff "$work/peer" "$work/ours" | tail -4 || true
rm -rf "$work/ours" "$work/peer"
