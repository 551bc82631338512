#!/usr/bin/env bash
# Stages what the device machine's Python stack should check (it has no dotnet): for each golden case, the jax2hf
# folder (with a tokenizer trained here, so AutoProcessor loads it), the hf2jax npz, the single ONNX export, and a
# split hub folder holding every dtype with the logits ONNX Runtime C# gives for each, with bench/device/*.py and the
# golden cases, into the git-ignored .device/ folder. Then one device run (name .device in carry) executes
# .device/run.sh. Needs Debian's python3-sentencepiece here (as .ci/run installs it).
# usage: bench/device/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release src/PaliConvert.Cli -v q -nologo >/dev/null
bin=src/PaliConvert.Cli/bin/Release/net10.0/paliconvert
rm -rf .device && mkdir -p .device/golden
cp bench/device/device_check.py bench/device/device_more.py .device/
/usr/bin/python3 - <<'PY'
import random
import sentencepiece as spm
words = "the quick brown fox jumps over lazy dog image caption answer question where what color red green blue".split()
r = random.Random(1)
with open(".device/corpus.txt", "w") as f:
    f.write("\n".join(" ".join(r.choice(words) for _ in range(r.randint(3, 10))) for _ in range(2000)))
spm.SentencePieceTrainer.train(
    input=".device/corpus.txt", model_prefix=".device/tok300", vocab_size=300, model_type="bpe", byte_fallback=True,
    split_digits=True, normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False,
    pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
    allow_whitespace_only_pieces=True, character_coverage=1.0, minloglevel=2)
PY
for m in pg1-tiny pg2-tiny; do
  g=golden/$m
  mkdir -p .device/$g .device/$m-split
  cp $g/inputs.npz $g/manifest.json $g/logits.jax.f32.prefixlm.npy $g/params.f32.npz .device/$g/
  "$bin" jax2hf $g/params.f32.npz .device/$m-hf --tokenizer .device/tok300.model >/dev/null 2>&1
  "$bin" hf2jax $g/hf .device/$m-back.npz >/dev/null
  "$bin" export-onnx $g/params.f32.npz .device/$m-onnx >/dev/null
  for d in fp32 fp16 q8 q4 q4f16; do
    "$bin" export-onnx .device/$m-hf .device/$m-split/hub --layout split --dtype $d >/dev/null
    "$bin" logits .device/$m-split/hub --dtype $d --inputs $g/inputs.npz --mask-key mask_ar_prefixlm \
      --out .device/$m-split/expected-$d.npy >/dev/null
  done
done
rm .device/corpus.txt
cat > .device/run.sh <<'RUN'
#!/usr/bin/env bash
# On the device machine, from the repository root: bash .device/run.sh
cd .device
python3 -c "import torch, transformers, onnx, onnxruntime as o; print('torch', torch.__version__, 'cuda', \
torch.cuda.is_available(), 'transformers', transformers.__version__, 'onnx', onnx.__version__, 'onnxruntime', o.__version__)"
for m in pg1-tiny pg2-tiny; do
  for check in "hf $m-hf" "hf-cuda $m-hf" "processor $m-hf" "onnx $m-onnx/model.onnx" "split $m-split/hub" \
      "npz $m-back.npz"; do
    set -- $check
    echo "== $m $1: $(python3 device_check.py "$1" "$2" "golden/$m" 2>&1 | grep -v "Loading weights" | tail -3)"
  done
done
RUN
du -sh .device
echo "prepared: run on the device with command 'bash .device/run.sh' and carry ['.device']"
