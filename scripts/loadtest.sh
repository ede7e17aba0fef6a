#!/usr/bin/env bash
# Load test of `tfjs serve` on loopback (bounded: 3 phases of SECONDS_PER_PHASE seconds each).
#   READERS clients download model.json + blobs in a loop; WRITERS clients upload new versions
#   at the same time; every download is verified (blob sha256 = its name, sizes = manifest:
#   no torn model); zero errors required. The same files are also served by nginx (Debian's
#   nginx-light, if installed) for comparison. Prints one JSON line per phase (requests/s, p50, p99).
# Environment: SECONDS_PER_PHASE (8), READERS (32), WRITERS (2), WEIGHT_BYTES (6291456),
#   PROFILE (debug|release; release gives representative numbers), TFJS_BIN (skip the build).
# Not part of scripts/test.sh (it takes ~30 s plus a build).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PROFILE="${PROFILE:-debug}"
if [ -z "${TFJS_BIN:-}" ]; then
  if [ "$PROFILE" = release ]; then (cd "$ROOT" && cargo build -q --release -p tfjs-cli); else (cd "$ROOT" && cargo build -q -p tfjs-cli); fi
  export TFJS_BIN="$ROOT/target/$PROFILE/tfjs"
fi
export TFJS_BIN="$(realpath "$TFJS_BIN")"
cd "$ROOT/e2e/http"
if [ ! -d node_modules/@tensorflow/tfjs ]; then npm ci --no-audit --no-fund; fi
echo "tfjs serve: $TFJS_BIN ($PROFILE); cores: $(nproc)"
exec node loadtest.js
