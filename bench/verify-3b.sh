#!/usr/bin/env bash
# Where verify's time goes on the synthetic 3B: the conversion, the weights proof alone, the whole verify.
# usage: bench/verify-3b.sh   (the 3B mixed .npz in bench/work, made by bench/common.sh's synth step)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=src/PaliConvert.Cli/bin/Release/net10.0/paliconvert; w=bench/work; ck=$w/pg1-3b-224.mixed.npz
cat $ck > /dev/null
t() { /usr/bin/time -f "%e s wall, %M KB peak RSS" "$@" 2>&1 | tail -1; }
rm -rf $w/v3; echo "== jax2hf (convert)"; t $bin jax2hf $ck $w/v3
echo "== verify --weights-only (facts and the weights proof)"; t $bin verify $ck $w/v3 --weights-only
echo "== verify (facts, weights, both forward passes)"; t $bin verify $ck $w/v3
rm -rf $w/v3; echo "== jax2hf --verify (convert, then all of verify, in one process)"; t $bin jax2hf $ck $w/v3 --verify
rm -rf $w/v3
