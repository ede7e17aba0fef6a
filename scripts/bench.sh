#!/usr/bin/env bash
# Speed comparison against TensorFlow.js 4.22 in Node (wasm and pure-JS cpu
# backends) on mobilenet_v2 / mobilenet_v1 (batch 1 and 32) and a generated
# 27 MB dense/conv model (batch 32). Not part of scripts/test.sh: it is a
# benchmark. Works on a fresh Debian machine as root (installs Node/npm and
# Rust when missing); needs ../shared/fixtures beside the checkout.
#
# Usage: scripts/bench.sh [run.mjs options, e.g. --runs 30 --only mobilenet_v2 --no-cpu]
# Writes target/bench/results.json and prints a table; exits 1 when a model
# does not reproduce its io.json on either side or a run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

section() { printf '\n==> %s\n' "$*" >&2; }

section "toolchain"
if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        if ! command -v curl >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq curl ca-certificates build-essential
        fi
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if [ ! -d ../shared/fixtures/keras ]; then
    echo "error: ../shared/fixtures/keras is missing (the benchmark models live there)" >&2
    exit 2
fi

section "npm ci (TensorFlow.js 4.22 + wasm backend)"
(cd e2e/bench && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; })

section "cargo build --release -p tfjs-cli"
cargo build --release -p tfjs-cli
TFJS="$ROOT/target/release/tfjs"

HEAVY="$ROOT/target/bench/heavy"
if [ ! -f "$HEAVY/io.json" ]; then
    section "generate the heavy benchmark model into $HEAVY"
    rm -rf "$HEAVY"
    node e2e/bench/gen_heavy_model.mjs "$HEAVY"
fi

section "benchmark (sequential; close other CPU-heavy work for stable numbers)"
node e2e/bench/run.mjs --tfjs "$TFJS" --heavy "$HEAVY" --out "$ROOT/target/bench/results.json" "$@"
