#!/usr/bin/env bash
# tfjs-rs against the optimizing CPU runtimes (TensorFlow 2.21 graph mode,
# TFLite + XNNPACK, ONNX Runtime, OpenVINO) on the same models, same 2
# threads, one interleaved run: ../shared/tools/perf-ref (read its README).
# Not part of scripts/test.sh: it is a benchmark; run it on a quiet machine.
#
# Usage: scripts/bench_peers.sh [MODEL_DIR…] [-- peers.py options]
#   default models: the MobileNet v1/v2 fixtures, the Keras 2 corpus
#   architectures and the text models of tools/bench/gen_bench_models.py
#   (too large for the corpus; made into target/bench/models on the first
#   run). A model tensorflowjs' loader cannot rebuild, such as a Keras 3
#   config, is listed under failures by the harness.
# Writes target/bench/peers.json and prints the table (ratio > 1: tfjs-rs faster).
set -euo pipefail
cd "$(dirname "$0")/.."

PERF_REF=../shared/tools/perf-ref
VENV=${VENV:-$HOME/.cache/tfjs-perf-ref/venv}
models=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    models+=("$1")
    shift
done
[ "${1:-}" = "--" ] && shift
if [ ${#models[@]} -eq 0 ]; then
    models=(../shared/fixtures/keras/mobilenet_v1 ../shared/fixtures/keras/mobilenet_v2)
    for m in mobilenet mobilenet_v2 mobilenet_v3_small efficientnet_b0 resnet50 densenet121 \
        regnetx002 xception_style vgg_style conv1d_stack transformer_encoder \
        mobilenet_v3_large efficientnet_v2_b0 resnet50_v2 inception_v3_style nasnet_mobile \
        unet vit_tiny; do
        models+=("fixtures/corpus/keras/$m")
    done
    models+=(target/bench/models/bilstm_text target/bench/models/gru_text)
    text_models=1
fi

start=$SECONDS
if [ ! -x "$VENV/bin/python" ]; then
    echo "==> perf-ref set-up (once, ~1 min)"
    VENV="$VENV" bash "$PERF_REF/setup.sh"
fi
if [ -n "${text_models:-}" ] && { [ ! -f target/bench/models/bilstm_text/model.json ] ||
    [ ! -f target/bench/models/gru_text/model.json ]; }; then
    echo "==> tools/bench/gen_bench_models.py (once)"
    "$VENV/bin/python" tools/bench/gen_bench_models.py target/bench/models
fi
echo "==> cargo build --release -p tfjs-cli"
cargo build --release -p tfjs-cli
mkdir -p target/bench /tmp/perfref
cp target/release/tfjs /tmp/perfref/tfjs
echo "==> peers.py (${#models[@]} models)"
"$VENV/bin/python" "$PERF_REF/peers.py" "${models[@]}" \
    --batches 1 32 --runs 30 --rounds 5 --warmup 5 \
    --json target/bench/peers.json "$@"
echo "<== bench_peers: $((SECONDS - start))s"
