#!/usr/bin/env bash
# End-to-end `.h5` -> TF.js conversion time: `tfjs convert` against
# `tensorflowjs_converter --input_format keras` (4.22.0) on the same file in
# the same run. Each side runs RUNS times as a fresh process (startup and
# imports included: that is what a user waits for); the median is reported.
#
# usage: crates/keras/scripts/bench_convert.sh [TFJS_BINARY] [PYTHON]
#   TFJS_BINARY defaults to target/release/tfjs, PYTHON to /root/kenv/bin/python
set -euo pipefail
TFJS=${1:-target/release/tfjs}
PY=${2:-/root/kenv/bin/python}
SRC=${SRC:-../shared/fixtures/keras-src/mobilenet_v2/model.h5}
RUNS=${RUNS:-5}
KENV_TOOLS=$(cd ../shared/tools/keras-env && pwd)
# Both sides write to the same place; tmpfs when there is one, so disk
# flushes (tfjs saves atomically with fsync, the converter does not) do not
# decide the result.
tmp=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp)")
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_runs() {  # command... ; prints one wall time (s) per run
  for i in $(seq "$RUNS"); do
    rm -rf "$tmp/out"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done
}
ours=$(time_runs "$TFJS" convert "$SRC" "$tmp/out" | median)
cmp "$tmp/out/model.json" ../shared/fixtures/keras/mobilenet_v2/model.json >/dev/null 2>&1 \
  || { "$TFJS" convert "$SRC" "$tmp/out" >/dev/null; cmp "$tmp/out/model.json" ../shared/fixtures/keras/mobilenet_v2/model.json; }
theirs=$(time_runs "$PY" -c "import sys; sys.path.insert(0, '$KENV_TOOLS'); import tfjs_import; \
from tensorflowjs.converters.converter import pip_main; sys.argv=['c','--input_format','keras','$SRC','$tmp/out']; pip_main()" | median)
printf 'tfjs convert:           %8.3f s (median of %d)\n' "$ours" "$RUNS"
printf 'tensorflowjs_converter: %8.3f s (median of %d)\n' "$theirs" "$RUNS"
printf 'speedup:                %8.1fx\n' "$(echo "$theirs / $ours" | bc -l)"
