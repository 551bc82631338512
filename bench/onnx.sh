#!/usr/bin/env bash
# export-onnx of a full-size PaliGemma 3B, then ONNX Runtime (C#, CPU) creates a session and runs one forward pass
# (224 px, 16 text tokens), compared with the reference forward pass's logits (bench/forward.sh makes them).
# usage: bench/onnx.sh [WORKDIR]   (needs ~18 GB free)
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
[ -f "$work/inputs-224.npz" ] && [ -f "$work/logits-3b.npy" ] || bench/forward.sh "$work"
for dtype in f32 f16; do
  rm -rf "$work/onnx-$dtype"
  echo "== export-onnx --dtype $dtype"
  measure sh -c "$bin export-onnx --dtype $dtype $ck $work/onnx-$dtype >/dev/null && sync"
  ls -l "$work/onnx-$dtype"
  echo "== check-onnx"
  "$bin" check-onnx "$work/onnx-$dtype/model.onnx"
  echo "== ONNX Runtime: session + one forward pass ($dtype weights)"
  measure "$bin" logits "$work/onnx-$dtype/model.onnx" --inputs "$work/inputs-224.npz" --out "$work/logits-onnx-$dtype.npy" >/dev/null
  /usr/bin/python3 -c "
import numpy as np
a = np.load('$work/logits-3b.npy'); b = np.load('$work/logits-onnx-$dtype.npy')[:, :, :a.shape[2]]
print('vs reference forward pass: max abs %.3g, top-1 agreement %.0f%%' % (abs(a - b).max(), 100 * (a.argmax(-1) == b.argmax(-1)).mean()))"
  rm -rf "$work/onnx-$dtype"
done
