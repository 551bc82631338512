#!/usr/bin/env bash
# Stages what the device machine's Python stack should check (it has no dotnet): for each golden case, the jax2hf
# folder, the hf2jax npz and the ONNX export, with bench/device/device_check.py and the golden cases, into the
# git-ignored .device/ folder. Then one device run (name .device in carry) executes .device/run.sh.
# usage: bench/device/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release src/PaliConvert.Cli -v q -nologo >/dev/null
bin=src/PaliConvert.Cli/bin/Release/net10.0/paliconvert
rm -rf .device && mkdir -p .device/golden
cp bench/device/device_check.py .device/
for m in pg1-tiny pg2-tiny; do
  mkdir -p .device/golden/$m
  cp golden/$m/inputs.npz golden/$m/manifest.json golden/$m/logits.jax.f32.prefixlm.npy golden/$m/params.f32.npz .device/golden/$m/
  "$bin" jax2hf golden/$m/params.f32.npz .device/$m-hf >/dev/null
  "$bin" hf2jax golden/$m/hf .device/$m-back.npz >/dev/null
  "$bin" export-onnx golden/$m/params.f32.npz .device/$m-onnx >/dev/null
done
cat > .device/run.sh <<'RUN'
#!/usr/bin/env bash
# On the device machine, from the repository root: bash .device/run.sh
cd .device
for m in pg1-tiny pg2-tiny; do
  for check in "hf $m-hf" "onnx $m-onnx/model.onnx" "npz $m-back.npz"; do
    set -- $check
    echo "== $m $1: $(python3 device_check.py "$1" "$2" "golden/$m" 2>&1 | tail -1)"
  done
done
RUN
du -sh .device
echo "prepared: run on the device with command 'bash .device/run.sh' and carry ['.device']"
