#!/usr/bin/env bash
# End-to-end `.h5` -> TF.js conversion time: `tfjs convert` against
# `tensorflowjs_converter --input_format keras` (4.22.0) on the same file in
# the same run. Each side runs RUNS times as a fresh process (startup and
# imports included: that is what a user waits for) into a directory that
# does not exist yet; the median is reported. Both sides write to tmpfs
# (/dev/shm) and then to disk (the directory of TMPDIR, default /tmp):
# `tfjs` fsyncs its atomic save, the converter does not.
#
# usage: crates/keras/scripts/bench_convert.sh [TFJS_BINARY] [PYTHON]
#   TFJS_BINARY defaults to target/release/tfjs, PYTHON to /root/kenv/bin/python
set -euo pipefail
TFJS=${1:-target/release/tfjs}
PY=${2:-/root/kenv/bin/python}
SRC=${SRC:-../shared/fixtures/keras-src/mobilenet_v2/model.h5}
WANT=${WANT:-../shared/fixtures/keras/mobilenet_v2}
RUNS=${RUNS:-5}
# Ours takes milliseconds, so one scheduling hiccup on a shared machine moves
# its median: it runs 5x as often (cheap) for a steadier median.
OURS_RUNS=${OURS_RUNS:-$((RUNS * 5))}
KENV_TOOLS=$(cd ../shared/tools/keras-env && pwd)
places=("$(mktemp -d -p "${TMPDIR:-/tmp}")")
[ -d /dev/shm ] && places=("$(mktemp -d -p /dev/shm)" "${places[@]}")
trap 'rm -rf "${places[@]}"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_runs() {  # runs dir command... ; prints one wall time (s) per run
  local n=$1 dir=$2; shift 2
  for _ in $(seq "$n"); do
    rm -rf "$dir/out"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done
}
same_as_converter() {  # every file of the converter's output, byte for byte
  for f in "$WANT"/model.json "$WANT"/*.bin; do
    cmp -s "$f" "$1/$(basename "$f")" || { echo "$1/$(basename "$f") differs from $f" >&2; exit 1; }
  done
}
for dir in "${places[@]}"; do
  fs=$(df -PT "$dir" | awk 'NR==2 {print $2}')
  ours=$(time_runs "$OURS_RUNS" "$dir" "$TFJS" convert "$SRC" "$dir/out" | median)
  same_as_converter "$dir/out"
  theirs=$(time_runs "$RUNS" "$dir" "$PY" -c "import sys; sys.path.insert(0, '$KENV_TOOLS'); import tfjs_import; \
from tensorflowjs.converters.converter import pip_main; sys.argv=['c','--input_format','keras','$SRC','$dir/out']; pip_main()" | median)
  same_as_converter "$dir/out"
  printf '%s (%s):\n' "$dir" "$fs"
  printf '  tfjs convert:           %8.3f s (median of %d)\n' "$ours" "$OURS_RUNS"
  printf '  tensorflowjs_converter: %8.3f s (median of %d)\n' "$theirs" "$RUNS"
  printf '  speedup:                %8.1fx\n' "$(echo "$theirs / $ours" | bc -l)"
done
