#!/usr/bin/env bash
# The reference pass's matmul beside OpenBLAS's cblas_sgemm on the forward pass's shapes, in one run; prints a table
# with the ratio (bench/README.md). Installs Debian's libopenblas0-pthread where it is missing. usage: bench/matmul.sh [REPS [FILTER]]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ldconfig -p | grep 'libopenblas.so.0 ' >/dev/null; then
  (apt-get install -y -q libopenblas0-pthread || (apt-get update -q && apt-get install -y -q libopenblas0-pthread)) >/dev/null
fi
# Where the CPU has AVX-512 the peer is OpenBLAS's SkylakeX (512-bit) kernel, its fastest here (this machine's
# environment sets OPENBLAS_CORETYPE=Haswell, a 256-bit kernel about 1.7x slower); the table's first line says which ran.
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
# OpenBLAS's idle threads spin in sched_yield for 2^28 cycles after each call (OPENBLAS_THREAD_TIMEOUT's default), on
# the cores the next measured call (ours, in alternation) runs on: under perf, a quarter of a small shape's samples.
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
dotnet run -c Release --project bench/matmul -- "${1:-5}" "${2:-}"
