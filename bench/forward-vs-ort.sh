#!/usr/bin/env bash
# The reference forward pass beside its own matmul kernel, OpenBLAS sgemm and ONNX Runtime, in one run on the
# synthetic 3B (256 image + 16 text tokens): the kernel's and OpenBLAS's GFLOP/s on the decoder MLP shape
# (bench/matmul.sh), the whole pass's GFLOP/s (FLOPs counted from the model's shapes) and its share of both (in rounds
# of OpenBLAS, on that shape and over all the pass's products, then the pass: each round's shares, and fastest against
# fastest), and ONNX Runtime's session + forward on the f32 export. usage: bench/forward-vs-ort.sh [WORKDIR]
set -euo pipefail
work=${1:-bench/work}
source "$(dirname "$0")/common.sh"
[ -f "$work/inputs-224.npz" ] || bench/forward.sh "$work"
t() { /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@"; cat "$work/time.txt"; }
echo "== the kernel beside OpenBLAS sgemm: bench/matmul.sh (decoder gate/up, the pass's largest shape, both layouts)"
bash bench/matmul.sh 3 2>/dev/null | tee "$work/matmul.txt" | grep -E "^Vector512|decoder gate/up"
# columns: | shape | weights | ours | ours 256-bit | OpenBLAS | ratio | diff |
kernel=$(grep "decoder gate/up" "$work/matmul.txt" | awk -F'|' '{print $4}' | sort -n | tail -1 | tr -d ' ')
blas=$(grep "decoder gate/up" "$work/matmul.txt" | awk -F'|' '{print $6}' | sort -n | tail -1 | tr -d ' ')
echo "kernel (best of both layouts): $kernel GFLOP/s; OpenBLAS sgemm on the same shape: $blas GFLOP/s"
echo "== reference forward pass (paliconvert logits; the checkpoint read into the page cache first, as for ORT below),"
echo "   3 rounds, each OpenBLAS sgemm on the decoder gate/up shape (best of 3), OpenBLAS over all of one pass's products"
echo "   (bench/matmul/PassSequence.cs) and then one pass: this host is shared, and a round compares them under the same load"
cat "$ck" > /dev/null
fwall=; frss=0; walls=; blases=; seqs=
for run in 1 2 3; do
  b=$(bash bench/matmul.sh 3 "decoder gate/up" 2>/dev/null | grep "decoder gate/up" | awk -F'|' '{print $6}' | sort -n | tail -1 | tr -d ' ')
  q=$(bash bench/matmul.sh pass 2>/dev/null | grep "pass's products" | awk '{print $(NF-1)}')
  read -r w r < <(t "$bin" logits "$ck" --inputs "$work/inputs-224.npz" --out "$work/logits-3b.npy" --force >/dev/null 2>&1 \
    && tail -1 "$work/time.txt")
  echo "round $run: OpenBLAS $b GFLOP/s on gate/up, $q GFLOP/s over the pass's products; pass $w s wall, $r KB peak RSS"
  if [ -z "$fwall" ] || awk "BEGIN{exit !($w < $fwall)}"; then fwall=$w; fi
  [ "$r" -gt "$frss" ] && frss=$r
  walls="$walls,$w"; blases="$blases,$b"; seqs="$seqs,$q"
done
echo "$fwall s wall (fastest), $frss KB peak RSS (largest)"
echo "== ONNX Runtime: export-onnx f32, then session + one forward pass"
rm -rf "$work/onnx-f32"
"$bin" export-onnx "$ck" "$work/onnx-f32" >/dev/null 2>&1
read -r owall orss < <(t "$bin" logits "$work/onnx-f32/model.onnx" --inputs "$work/inputs-224.npz" --out "$work/logits-ort.npy" \
  --force >/dev/null 2>&1 && tail -1 "$work/time.txt")
echo "$owall s wall, $orss KB peak RSS"
rm -rf "$work/onnx-f32"
"$bin" inspect --json "$ck" 2>/dev/null > "$work/arch.json"
/usr/bin/python3 - "$work/arch.json" "$kernel" "$fwall" "$owall" "$blas" "${walls#,}" "${blases#,}" "${seqs#,}" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["architecture"]
v, d = a["vision"], a["decoder"]
tokens, text = v["tokens"], 16
s = tokens + text
vis = v["layers"] * (2 * tokens * (4 * v["width"] ** 2 + 2 * v["width"] * v["mlp"]) + 4 * tokens ** 2 * v["width"])
qo, kv = d["width"] * d["heads"] * d["head_dim"], d["width"] * d["kv_heads"] * d["head_dim"]
dec = d["layers"] * (2 * s * (2 * qo + 2 * kv + 3 * d["width"] * d["mlp"]) + 4 * s * s * d["heads"] * d["head_dim"])
proj, logits = 2 * tokens * v["width"] * d["width"], 2 * text * d["vocab"] * d["width"]
flop = vis + dec + proj + logits
kernel, fwall, owall, blas = map(float, sys.argv[2:6])
rate = flop / fwall / 1e9
print(f"{flop / 1e12:.3f} TFLOP; forward pass {rate:.1f} GFLOP/s = {100 * rate / kernel:.0f}% of the kernel's {kernel:.1f}, "
      f"{100 * rate / blas:.0f}% of OpenBLAS sgemm's {blas:.1f}; ONNX Runtime / forward pass wall = {owall / fwall:.2f}")
walls, blases, seqs = ([float(v) for v in a.split(",")] for a in sys.argv[6:9])
def shares(peer):
    r = [flop / w / 1e9 / b for w, b in zip(walls, peer)]
    return ", ".join(f"{100 * v:.0f}%" for v in r) + f" (median {100 * sorted(r)[len(r) // 2]:.0f}%)"
print("each round, the pass's rate / OpenBLAS's gate/up best of 3 in that round: " + shares(blases) +
      f"; fastest pass / fastest OpenBLAS: {100 * rate / max(blases + [blas]):.0f}%")
print("each round, the pass's rate / OpenBLAS's over the pass's products in that round: " + shares(seqs) +
      f"; fastest pass / fastest: {100 * rate / max(seqs):.0f}%")
PY
