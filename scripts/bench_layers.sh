#!/usr/bin/env bash
# Load time and predict latency of every fixture model (release build).
# Usage: scripts/bench_layers.sh [BATCH]   (prints one JSON line per model)
set -euo pipefail
cd "$(dirname "$0")/.."
batch="${1:-1}"
cargo build -q --release -p tfjs-cli
for dir in ../shared/fixtures/tfjs/*/ ../shared/fixtures/keras/*/; do
    [ -f "$dir/model.json" ] || continue
    name="$(basename "$(dirname "$dir")")/$(basename "$dir")"
    printf '{"model":"%s","result":%s}\n' "$name" \
        "$(target/release/tfjs --json bench "$dir" --batch "$batch")"
done
