#!/usr/bin/env bash
# Time and peak memory of `paliconvert synth` and `paliconvert inspect` on a full-size PaliGemma 3B checkpoint.
# usage: bench/inspect.sh [WORKDIR]   (needs ~6.2 GB free in WORKDIR; default bench/work)
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
ls -l "$ck"
cat "$ck" >/dev/null   # warm the page cache, as a repeated inspect would find it
echo "== inspect (warm cache)"
for i in 1 2 3; do measure "$bin" inspect "$ck" >/dev/null; done
echo "== inspect --json (warm cache)"
measure "$bin" inspect --json "$ck" >/dev/null
echo "== inspect (cold cache: pages dropped)"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null && measure "$bin" inspect "$ck" >/dev/null || echo "(cannot drop caches here)"
echo "== diff of the checkpoint with itself (every byte of both read and compared)"
measure "$bin" diff "$ck" "$ck" | tail -1
