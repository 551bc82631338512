#!/usr/bin/env bash
# A 28B checkpoint as Google ships it, byte-split into parts (NAME.npz.part*), read in place without joining them:
# the synthetic PaliGemma 2 28B (bf16, zero weights left as holes: bench/sparse_npz.py) cut into 4 GiB parts
# (bench/split_sparse.py, holes kept), then inspect and a full read of every tensor (diff against the whole file).
# usage: bench/parts.sh [WORKDIR]   (a few GB of real blocks; the zeros are holes)
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
whole="$work/pg2-28b-224.sparse.npz"; split_dir="$work/parts"
[ -f "$whole" ] || /usr/bin/python3 bench/sparse_npz.py pg2-28b-224 "$whole" >/dev/null
rm -rf "$split_dir"; mkdir -p "$split_dir"; cp --sparse=always "$whole" "$split_dir/pg2-28b-224.npz"
/usr/bin/python3 bench/split_sparse.py "$split_dir/pg2-28b-224.npz" $((4 << 30))
rm "$split_dir/pg2-28b-224.npz"
ls -l "$split_dir"; du -sh "$split_dir"

echo "== inspect, whole file"; measure "$bin" inspect "$whole" >/dev/null
echo "== inspect, parts";      measure "$bin" inspect "$split_dir/pg2-28b-224.npz" >/dev/null
echo "== every tensor read from both and compared (diff whole parts)"
measure "$bin" diff "$whole" "$split_dir/pg2-28b-224.npz" | tail -1
rm -rf "$split_dir"
