#!/usr/bin/env bash
# Every converter on the golden models; prints the SHA-256 of every output file, to show a refactoring changed no byte.
# usage: bench/golden-outputs.sh [BIN] [OUTDIR] > sums.txt   (then diff two runs: before and after)
set -e
cd "$(dirname "$0")/.."
bin=${1:-src/PaliConvert.Cli/bin/Release/net10.0/paliconvert}; out=$(realpath -m "${2:-bench/work/golden-outputs}")
rm -rf "$out"; mkdir -p "$out"
for m in pg1-tiny pg2-tiny; do
  for f in f32 mixed bf16 prefixed; do
    $bin jax2hf golden/$m/params.$f.npz "$out"/$m-$f-hf >/dev/null 2>&1
    $bin jax2hf golden/$m/params.$f.npz "$out"/$m-$f-hf-keep --dtype keep >/dev/null 2>&1
  done
  $bin hf2jax golden/$m/hf "$out"/$m-back.npz >/dev/null 2>&1
  $bin hf2jax golden/$m/hf-legacy "$out"/$m-back-legacy.npz --dtype bf16 --prefix params/ >/dev/null 2>&1
  $bin export-onnx golden/$m/params.f32.npz "$out"/$m-onnx >/dev/null 2>&1
  $bin export-onnx golden/$m/hf "$out"/$m-onnx-split-f16 --layout split --dtype f16 >/dev/null 2>&1
done
cd "$out" && find . -type f | sort | xargs sha256sum
