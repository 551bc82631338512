#!/usr/bin/env bash
# One cold hf2jax (page cache dropped; root) beside disk.py and threads.py; prints the wall time and where the
# traces are. usage: bench/trace/cold-hf2jax.sh HF_FOLDER [WORKDIR]   (the output goes to WORKDIR and is removed)
set -euo pipefail
hf=$(realpath "$1")
work=${2:+$(realpath -m "$2")}
cd "$(dirname "$0")/../.."
work=${work:-bench/work}
bin=${PALICONVERT_BIN:-src/PaliConvert.Cli/bin/Release/net10.0/paliconvert}
[ -n "${PALICONVERT_BIN:-}" ] || dotnet build -c Release src/PaliConvert.Cli -v q -nologo >/dev/null
out="$work/trace"
mkdir -p "$out"
rm -f "$work/trace.npz"
sync
echo 3 > /proc/sys/vm/drop_caches
/usr/bin/python3 bench/trace/disk.py "$out/disk.txt" &
disk=$!
/usr/bin/time -f "%e s wall, %U s user, %S s system, %M KB peak RSS" -o "$out/time.txt" \
  "$bin" hf2jax "$hf" "$work/trace.npz" >/dev/null 2>&1 &
tool=$!
child=""
for _ in $(seq 50); do child=$(pgrep -P $tool -n || true); [ -n "$child" ] && break; sleep 0.02; done
/usr/bin/python3 bench/trace/threads.py "${child:-$tool}" "$out/threads.txt" &
wait $tool
kill $disk
rm -f "$work/trace.npz" "$work/trace.tokenizer.model"
cat "$out/time.txt"
echo "traces: $out/disk.txt $out/threads.txt"
