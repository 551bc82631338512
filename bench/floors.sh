#!/usr/bin/env bash
# jax2hf and hf2jax beside the disk's floor measured in the same run. The floor is what moving the same bytes costs
# without converting: reading the input (cat) plus writing as many bytes as the output and syncing, by the faster of
# a buffered write and an O_DIRECT one (bench/write_floor.py: 8 MB writes of non-zero bytes, then fsync; the tool
# writes with O_DIRECT). Each case runs REPS times (default 2), tool and floor in turn, the order swapped every other
# repetition so that a drift of the disk weighs on both; prints every pair and the median ratio.
# Cold (default where /proc/sys/vm/drop_caches is writable, i.e. root): the page cache is dropped before the tool
# and before the floor's read, as a checkpoint just copied or trained is found. Warm (COLD=0): the input is read
# once (cat) before each, and both find what the page cache holds.
# usage: [REPS=2] [COLD=0|1] [STEPS="jax2hf hf2jax"] bench/floors.sh [WORKDIR] [CASES...]
#   cases: 3b-f32 3b-keep 10b-keep (default all; 10b needs ~60 GB free). STEPS=hf2jax reuses WORKDIR/hf where the same
#   case made it (WORKDIR/hf.case), makes it once with jax2hf where not, and keeps it.
set -euo pipefail
work=${1:-bench/work}
shift || true
cases=${*:-3b-f32 3b-keep 10b-keep}
reps=${REPS:-2}
steps=${STEPS:-jax2hf hf2jax}
cold=${COLD:-$([ -w /proc/sys/vm/drop_caches ] && echo 1 || echo 0)}
source "$(dirname "$0")/common.sh"
secs() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1; cat "$work/time.txt"; }
ready() { # input path: as the run finds it (cold or warm)
  if [ "$cold" = 1 ]; then sync; echo 3 > /proc/sys/vm/drop_caches; else find "$1" -type f -exec cat {} + >/dev/null; fi
}
ones() { # bytes, buffered|direct -> seconds to write that many non-zero bytes and fsync
  secs /usr/bin/python3 bench/write_floor.py "$1" "$work/ones" "$2" | cut -d' ' -f1
  rm -f "$work/ones"
}
floor() { # input path, output bytes -> "read buffered-write direct-write"
  ready "$1"
  echo "$(secs sh -c "find $1 -type f -exec cat {} + >/dev/null" | cut -d' ' -f1) $(ones "$2" buffered) $(ones "$2" direct)"
}
tool() { # input, output, command... -> "seconds KB bytes"
  local in=$1 out=$2
  shift 2
  rm -rf "$out"
  ready "$in"
  read -r t k < <(secs sh -c "$* && sync")
  echo "$t $k $(du -sb "$out" | cut -f1)"
}
ratios="$work/ratios.txt"
pair() { # what, input, output, keep (1: the output stays, as the next case's input), command...: REPS pairs
  local what=$1 in=$2 out=$3 keep=$4 t k bytes r b d
  shift 4
  : > "$ratios"
  for rep in $(seq "$reps"); do
    if [ $((rep % 2)) = 0 ]; then read -r r b d < <(floor "$in" "$bytes"); fi
    read -r t k bytes < <(tool "$in" "$out" "$@")
    [ "$keep" = 1 ] || rm -rf "$out" # room for the floor's bytes
    if [ $((rep % 2)) = 1 ]; then read -r r b d < <(floor "$in" "$bytes"); fi
    /usr/bin/python3 -c "r, b, d, t, k = $r, $b, $d, $t, $k; f = r + min(b, d)
print(f'$what #$rep: floor {f:.2f} s (read {r:.2f} + write {min(b, d):.2f}; buffered {b:.2f}, O_DIRECT {d:.2f}),'
      f' tool {t:.2f} s at {k / 1024:.0f} MB peak RSS: {t / f:.2f}x')
open('$ratios', 'a').write(f'{t / f}\n')"
  done
  /usr/bin/python3 -c "import statistics; r = [float(x) for x in open('$ratios')]
print(f'$what: median {statistics.median(r):.2f}x of the floor over {len(r)} pairs ({\"cold\" if $cold else \"warm\"})')"
}
echo "floors: $reps pairs per case, $([ "$cold" = 1 ] && echo cold || echo warm)"
for c in $cases; do
  size=${c%-*}; dtype=${c#*-}
  if [ "$size" = 3b ]; then in=$ck; else in="$work/pg2-10b-224.bf16.npz"; fi
  [ -f "$in" ] || "$bin" synth --variant pg2-10b-224 --dtype bf16 --seed 0 "$in" >/dev/null
  if [[ " $steps " == *" jax2hf "* ]]; then
    pair "jax2hf $c" "$in" "$work/hf" 1 "$bin" jax2hf --dtype "$dtype" "$in" "$work/hf"
  elif [ "$(cat "$work/hf.case" 2>/dev/null)" != "$c" ]; then # another case's (or a half-made) folder is not reused
    rm -rf "$work/hf" "$work/hf.case"
    "$bin" jax2hf --dtype "$dtype" "$in" "$work/hf" >/dev/null
  fi
  echo "$c" > "$work/hf.case"
  if [[ " $steps " == *" hf2jax "* ]]; then
    pair "hf2jax $c" "$work/hf" "$work/back.npz" 0 "$bin" hf2jax --dtype keep "$work/hf" "$work/back.npz"
  fi
  [[ " $steps " == *" jax2hf "* ]] && rm -rf "$work/hf" "$work/hf.case"
  rm -rf "$work/back.npz"
done
