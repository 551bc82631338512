#!/usr/bin/env bash
# A bounded afl++ campaign (SharpFuzz-instrumented PaliConvert.Core) on each parser entry point, seeded from golden/.
# Crashing or hanging inputs are kept in tests/PaliConvert.Tests/Formats/fuzz-regressions/TARGET/, which a test replays.
# usage: bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (targets: npz inputs safetensors index config onnx tokenizer adapter)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; shift || true
targets=${*:-npz inputs safetensors index config onnx tokenizer adapter}
if ! command -v afl-fuzz >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0 >/dev/null
work=bench/work/fuzz
rm -rf "$work" && mkdir -p "$work"
dotnet build bench/fuzz -c Release -o "$work/bin" -v q -nologo >/dev/null
sharpfuzz "$work/bin/PaliConvert.Core.dll" >/dev/null
cli="dotnet run --project src/PaliConvert.Cli -c Release --"
$cli jax2hf golden/pg1-tiny/params.f32.npz "$work/index" --max-shard-size 150KB >/dev/null 2>&1
$cli export-onnx golden/pg1-tiny/params.f32.npz "$work/onnx" >/dev/null 2>&1
# the tokenizer seed: a small BPE model with Gemma's settings, trained by sentencepiece itself
/usr/bin/python3 -c "import sentencepiece" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-sentencepiece >/dev/null; }
/usr/bin/python3 - "$work/spm" <<'PY'
import random, sys
random.seed(1)
words = "the quick brown fox jumps over lazy dog image caption answer 日本語 😀 42".split()
open(sys.argv[1] + ".txt", "w").write("\n".join(" ".join(random.choice(words) for _ in range(8)) for _ in range(2000)))
PY
/usr/bin/python3 tests/PaliConvert.Tests/oracle/spm_oracle.py train "$work/spm.txt" "$work/spm" 400 1 >/dev/null
seed() { case $1 in
  npz) echo golden/pg1-tiny/params.mixed.npz ;;
  inputs) echo golden/pg1-tiny/inputs.npz ;;
  safetensors) echo golden/pg1-tiny/hf/model.safetensors ;;
  index) echo "$work/index/model.safetensors.index.json" ;;
  config) echo golden/pg2-tiny/hf/config.json ;;
  onnx) echo "$work/onnx/model.onnx" ;;
  tokenizer) echo "$work/spm.model" ;;
  adapter) echo "$work/adapter/adapter_config.json" ;;
esac; }
# the adapter seed: the numpy oracle's rsLoRA adapter for the tiny model; afl++ mutates its config, the factors stay
/usr/bin/python3 -c 'import json; json.dump({"config": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"],
  "use_rslora": True, "rank_pattern": {"v_proj": 2}}, "spelling": "in-memory"}, open("'"$work"'/adapter.spec.json", "w"))'
/usr/bin/python3 tests/PaliConvert.Tests/oracle/lora_oracle.py make golden/pg1-tiny/hf "$work/adapter" "$work/adapter.spec.json"
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
printf '%-12s %10s %8s %7s %6s\n' target executions paths crashes hangs
for t in $targets; do
  mkdir -p "$work/$t/in"
  cp "$(seed "$t")" "$work/$t/in/seed"
  dir="$work/$t/run"; [ "$t" = index ] && dir="$work/index"; [ "$t" = onnx ] && dir="$work/onnx"
  [ "$t" = adapter ] && dir="$work/adapter"
  afl-fuzz -i "$work/$t/in" -o "$work/$t/out" -V "$secs" -t 10000 -m none -- dotnet "$work/bin/PaliConvert.Fuzz.dll" "$t" "$dir" \
    > "$work/$t/afl.log" 2>&1 || { tail -20 "$work/$t/afl.log"; exit 1; }
  stats="$work/$t/out/default/fuzzer_stats"
  get() { awk -F: -v k="$1" '$1 ~ "^"k" *$" {gsub(/ /, "", $2); print $2}' "$stats"; }
  printf '%-12s %10s %8s %7s %6s\n' "$t" "$(get execs_done)" "$(get corpus_count)" "$(get saved_crashes)" "$(get saved_hangs)"
  keep=tests/PaliConvert.Tests/Formats/fuzz-regressions/$t
  for f in "$work/$t/out/default/crashes/"id* "$work/$t/out/default/hangs/"id*; do
    if [ -f "$f" ]; then mkdir -p "$keep" && cp "$f" "$keep/$(basename "$(dirname "$f")")-$(sha256sum "$f" | cut -c1-12)"; fi
  done
done
