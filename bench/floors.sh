#!/usr/bin/env bash
# jax2hf and hf2jax beside the disk's floor measured in the same run: reading the input (warm, as the converter
# finds it) plus writing as many bytes of zeros as the output and syncing. Prints floor, tool and their ratio, and a
# second floor that writes the zeros with O_DIRECT (dd oflag=direct, 8 MB blocks), as the tool now writes.
# usage: bench/floors.sh [WORKDIR] [CASES...]   cases: 3b-f32 3b-keep 10b-keep (default all; 10b needs ~60 GB free)
# Reading counts too: the input is read once (cat) before the tool, so both find what the page cache holds.
set -euo pipefail
work=${1:-bench/work}
shift || true
cases=${*:-3b-f32 3b-keep 10b-keep}
source "$(dirname "$0")/common.sh"
secs() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1; cat "$work/time.txt"; }
floor() { # input path, output bytes -> seconds
  local r w
  r=$(secs sh -c "find $1 -type f -exec cat {} + >/dev/null" | cut -d' ' -f1)
  w=$(secs sh -c "head -c $2 /dev/zero > $work/zeros && sync" | cut -d' ' -f1)
  rm -f "$work/zeros"
  d=$(secs sh -c "dd if=/dev/zero of=$work/zeros bs=8M count=$((($2 + 8388607) / 8388608)) oflag=direct status=none && sync" \
    | cut -d' ' -f1)
  rm -f "$work/zeros"
  echo "$r $w $d"
}
report() { # what, read, write, direct write, tool seconds, tool KB
  /usr/bin/python3 -c "r, w, d, t, k = $2, $3, $4, $5, $6; f = r + w
print(f'$1: floor {f:.2f} s (read {r:.2f} + write and sync {w:.2f}), tool {t:.2f} s at {k / 1024:.0f} MB peak RSS: {t / f:.2f}x;'
      f' O_DIRECT floor {r + d:.2f} s (write {d:.2f}): {t / (r + d):.2f}x')"
}
for c in $cases; do
  size=${c%-*}; dtype=${c#*-}
  if [ "$size" = 3b ]; then in=$ck; else in="$work/pg2-10b-224.bf16.npz"; fi
  [ -f "$in" ] || "$bin" synth --variant pg2-10b-224 --dtype bf16 --seed 0 "$in" >/dev/null
  rm -rf "$work/hf"
  cat "$in" >/dev/null
  read -r t k < <(secs sh -c "$bin jax2hf --dtype $dtype $in $work/hf && sync")
  bytes=$(du -sb "$work/hf" | cut -f1)
  read -r r w d < <(floor "$in" "$bytes")
  report "jax2hf $c" "$r" "$w" "$d" "$t" "$k"
  rm -f "$work/back.npz"
  find "$work/hf" -type f -exec cat {} + >/dev/null # warm, as the floor finds it (O_DIRECT writes leave it cold)
  read -r t k < <(secs sh -c "$bin hf2jax --dtype keep $work/hf $work/back.npz && sync")
  bytes=$(stat -c %s "$work/back.npz")
  rm -f "$work/back.npz" # room for the floor's zeros
  read -r r w d < <(floor "$work/hf" "$bytes")
  report "hf2jax $c" "$r" "$w" "$d" "$t" "$k"
  rm -rf "$work/hf" "$work/back.npz"
done
