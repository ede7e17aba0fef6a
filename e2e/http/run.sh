#!/usr/bin/env bash
# End-to-end tests of the http(s):// handler and `tfjs serve` against real TensorFlow.js 4.22.0:
# Node (pure-JS @tensorflow/tfjs, global fetch) and headless Chromium (Debian's `chromium`
# package driven by playwright-core; no browser download). Installs what is missing.
# Screenshots go to target/e2e-artifacts/.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v node >/dev/null 2>&1; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends nodejs npm
fi
# The pinned playwright-core needs Node >= 20 (Debian 12 ships 18): scripts/test.sh puts
# Node 20 from the npm registry in target/node20 first on PATH; use it when run alone.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ] && [ -x "$ROOT/target/node20/node_modules/.bin/node" ]; then
  export PATH="$ROOT/target/node20/node_modules/.bin:$PATH"
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "error: node $(node --version) is too old for playwright-core; run scripts/test.sh (it installs Node 20) or put Node >= 20 on PATH" >&2
  exit 2
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium
fi

if [ -n "${TFJS_BIN:-}" ]; then export TFJS_BIN="$(realpath "$TFJS_BIN")"; fi
cd "$HERE"
if [ ! -d node_modules/@tensorflow/tfjs ] || [ ! -d node_modules/playwright-core ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

if [ -z "${TFJS_BIN:-}" ]; then
  (cd "$ROOT" && cargo build -q -p tfjs-cli)
  # cargo puts the binary under $CARGO_TARGET_DIR when set (relative to the root).
  TARGET_DIR="${CARGO_TARGET_DIR:-target}"
  case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
  export TFJS_BIN="$TARGET_DIR/debug/tfjs"
fi

node node.test.js
node browser.test.js
node graph.test.js
node cors.test.js
