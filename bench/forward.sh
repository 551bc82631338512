#!/usr/bin/env bash
# The reference forward pass on a full-size PaliGemma 3B (224 px: 256 image tokens + 16 text tokens), weights
# memory-mapped from the synthetic checkpoint. usage: bench/forward.sh [WORKDIR]
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
/usr/bin/python3 - "$work/inputs-224.npz" <<'PY'
import sys
import numpy as np
rng = np.random.default_rng(0)
np.savez(sys.argv[1], image_nhwc=rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32),
         text=np.concatenate([[2], rng.integers(3, 257152, 15)]).astype(np.int32)[None],
         mask_ar=np.array([[0] * 8 + [1] * 8], dtype=np.int32))
PY
echo "== paliconvert logits, pg1-3b-224 mixed (f16/f32 weights widened tile by tile)"
measure "$bin" logits "$ck" --inputs "$work/inputs-224.npz" --out "$work/logits-3b.npy" >/dev/null
/usr/bin/python3 -c "import numpy as np; l = np.load('$work/logits-3b.npy'); print('logits', l.shape, l.dtype, 'finite:', bool(np.isfinite(l).all()), 'std %.4f' % l.std())"
