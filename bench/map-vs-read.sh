#!/usr/bin/env bash
# A checkpoint's bytes through a memory map (one byte of each 4 KB page: first touch, then again) beside read(2)
# of every byte into a reused 1 MB buffer, three times in one run on the synthetic 3B with the page cache warm: why
# the prefill reads its weights rather than mapping them (bench/README.md, "Reading the weights").
# usage: bench/map-vs-read.sh [WORKDIR]
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
cat "$ck" > /dev/null
for i in 1 2 3; do
  /usr/bin/python3 - "$ck" <<'PY'
import os, sys, time
import numpy as np
path = sys.argv[1]
m = np.memmap(path, dtype=np.uint8, mode="r")
t0 = time.perf_counter(); m[::4096].sum(dtype=np.int64)
t1 = time.perf_counter(); m[::4096].sum(dtype=np.int64)
t2 = time.perf_counter()
del m
buf = memoryview(bytearray(1 << 20))
with open(path, "rb", buffering=0) as f:
    t3 = time.perf_counter(); n = 0
    while (r := f.readinto(buf)): n += r
    t4 = time.perf_counter()
print(f"{n / 1e9:.2f} GB: map, first touch {t1 - t0:.2f} s, touched again {t2 - t1:.2f} s; "
      f"read(2) into 1 MB {t4 - t3:.2f} s ({n / (t4 - t3) / 1e9:.1f} GB/s)")
PY
done
