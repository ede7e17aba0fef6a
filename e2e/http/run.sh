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
  export TFJS_BIN="$ROOT/target/debug/tfjs"
fi

node node.test.js
node browser.test.js
node cors.test.js
