# Shared by the bench scripts: a Release build, the 3B checkpoint (made once with synth), and a measuring wrapper.
# Sourced with the work folder in $work; sets $bin and $ck.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p "$work"
# PALICONVERT_BIN: a build elsewhere (e.g. a copy, so that rebuilding the tree does not change a long run's binary)
if [ -n "${PALICONVERT_BIN:-}" ]; then
  bin=$PALICONVERT_BIN
else
  dotnet build -c Release src/PaliConvert.Cli -v q -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; echo "build failed" >&2; exit 1; }
  bin=src/PaliConvert.Cli/bin/Release/net10.0/paliconvert
fi
ck="$work/pg1-3b-224.mixed.npz"
measure() { /usr/bin/time -f "%e s wall, %M KB peak RSS" "$@"; }
if [ ! -f "$ck" ]; then
  echo "== synth pg1-3b-224 mixed"
  measure "$bin" synth --variant pg1-3b-224 --dtype mixed --seed 0 "$ck" >/dev/null
fi
