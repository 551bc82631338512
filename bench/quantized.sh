#!/usr/bin/env bash
# Each ONNX weight type on a full-size PaliGemma 3B: export-onnx's time, peak RSS and file size, then ONNX Runtime
# (C#, CPU) creating a session and running one forward pass (224 px: 256 image + 16 text tokens), its logits against
# the reference forward pass's (bench/forward.sh makes them): max |diff|, top-1 agreement, mean KL divergence.
# usage: bench/quantized.sh [WORKDIR] [DTYPES...]   (needs ~18 GB free disk and memory)
set -euo pipefail
work=${1:-bench/work}
shift || true
dtypes=${*:-fp32 fp16 q8 q4 q4f16}
source "$(dirname "$0")/common.sh"
[ -f "$work/inputs-224.npz" ] && [ -f "$work/logits-3b.npy" ] || bench/forward.sh "$work"
for dtype in $dtypes; do
  out="$work/onnx-$dtype"
  rm -rf "$out"
  echo "== export-onnx --dtype $dtype"
  measure sh -c "$bin export-onnx --dtype $dtype $ck $out >/dev/null && sync"
  echo "size: $(du -sb "$out" | cut -f1) bytes"
  "$bin" check-onnx "$out/model.onnx" | tail -1
  echo "== ONNX Runtime: session + one forward pass ($dtype)"
  measure "$bin" logits "$out/model.onnx" --inputs "$work/inputs-224.npz" --out "$work/logits-onnx-$dtype.npy" --force >/dev/null
  /usr/bin/python3 - "$work/logits-3b.npy" "$work/logits-onnx-$dtype.npy" <<'PY'
import sys
import numpy as np
a = np.load(sys.argv[1]).astype(np.float64)
b = np.load(sys.argv[2])[:, :, :a.shape[2]].astype(np.float64)
def logsoftmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
la, lb = logsoftmax(a), logsoftmax(b)
kl = (np.exp(la) * (la - lb)).sum(-1)
top5 = np.mean([len(set(np.argsort(-a[0, p])[:5]) & set(np.argsort(-b[0, p])[:5])) / 5 for p in range(a.shape[1])])
print('vs reference forward pass: max abs %.3g, top-1 agreement %.0f%%, top-5 overlap %.0f%%, mean KL %.3g nats'
      % (abs(a - b).max(), 100 * (a.argmax(-1) == b.argmax(-1)).mean(), 100 * top5, kl.mean()))
PY
  rm -rf "$out"
done
