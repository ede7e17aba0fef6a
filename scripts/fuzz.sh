#!/usr/bin/env bash
# Build and run every fuzz target of fuzz/ (issue 15) for SECONDS each
# (default 30), seeded from ../shared/fixtures and fuzz/seeds/. Fails when
# any target crashes (panic, abort, sanitizer report, timeout, out of
# memory); prints each target's execution count.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Env: FUZZ_MAX_RUNS caps executions per target (`-runs`; the longer
# campaign uses 10000000 with SECONDS=1800: whichever comes first);
# FUZZ_JOBS is the build parallelism (default 1); FUZZ_SANITIZER=none builds
# without AddressSanitizer (CI: a build about twice as fast; the Rust code is
# memory-safe, and panics, aborts, timeouts and the memory limit still fail).
# Crash inputs land in fuzz/artifacts/<target>/; reproduce one with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`, and
# once fixed keep it in fuzz/regressions/<target>/: those inputs run before
# each target is fuzzed and must not crash.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-30}"
shift || true
ALL_TARGETS=(model_json weights model_predict io_json npy upload weight_urls keras_h5 keras_zip graph_model)
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi
FIXTURES=../shared/fixtures
export CARGO_BUILD_JOBS="${FUZZ_JOBS:-1}"

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# ------------------------------------------------------------------ seeds
# Corpora live in fuzz/corpus/<target> (not committed): the fixtures are
# copied in at run time, in each target's input layout.
seed() {
    python3 - "$FIXTURES" "$@" <<'PY'
import hashlib, json, os, pathlib, sys

fixtures = pathlib.Path(sys.argv[1])
targets = sys.argv[2:]
out = pathlib.Path("fuzz/corpus")
MAX = 1 << 16


def put(target, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def framed(head, tail):
    if len(head) >= 1 << 16:
        return None
    return len(head).to_bytes(2, "little") + head + tail


if not fixtures.is_dir():
    print(f"warning: {fixtures} is missing; only fuzz/seeds/ seeds are used", file=sys.stderr)
    sys.exit(0)

for mj in sorted(fixtures.rglob("*.json")):
    try:
        raw = mj.read_bytes()
    except OSError:
        continue
    if len(raw) > MAX:
        continue
    try:
        doc = json.loads(raw)
    except ValueError:
        continue
    if not isinstance(doc, dict):
        continue
    if "modelTopology" in doc or "weightsManifest" in doc:
        if "model_json" in targets:
            put("model_json", raw)
        manifest = doc.get("weightsManifest")
        if not isinstance(manifest, list):
            continue
        shards = b""
        ok = True
        for group in manifest:
            for p in group.get("paths", []) if isinstance(group, dict) else []:
                f = mj.parent / p
                if not f.is_file() or f.stat().st_size > MAX:
                    ok = False
                    break
                shards += f.read_bytes()
        if not ok:
            continue
        if "weights" in targets:
            s = framed(json.dumps(manifest).encode(), shards)
            if s:
                put("weights", s)
        is_graph = doc.get("format") == "graph-model" or isinstance(
            (doc.get("modelTopology") or {}).get("node") if isinstance(doc.get("modelTopology"), dict) else None, list)
        target = "graph_model" if is_graph else "model_predict"
        if target in targets:
            s = framed(raw, shards)
            if s:
                put(target, s)
    elif "inputs" in doc and "io_json" in targets:
        put("io_json", raw)

if "upload" in targets:
    for req in sorted(fixtures.rglob("request.json")):
        body = req.parent / "body.bin"
        try:
            headers = json.loads(req.read_text()).get("rawHeaders", [])
        except ValueError:
            continue
        ctype = next((headers[i + 1] for i in range(0, len(headers) - 1, 2)
                      if headers[i].lower() == "content-type"), "")
        if "boundary=" in ctype and body.is_file() and body.stat().st_size <= MAX:
            put("upload", ctype.split("boundary=", 1)[1].encode() + b"\r\n" + body.read_bytes())
    for hdr in sorted(fixtures.rglob("http/headers.json")):
        body = hdr.parent / "request.bin"
        try:
            h = json.loads(hdr.read_text())
        except ValueError:
            continue
        flat = json.dumps(h)
        if "boundary=" in flat and body.is_file() and body.stat().st_size <= MAX:
            b = flat.split("boundary=", 1)[1].split('"', 1)[0]
            put("upload", b.encode() + b"\r\n" + body.read_bytes())

# Keras files: the fixtures' sources, the corpus's and the reader's own test
# files (all under 64 KiB are seeds).
for root in (fixtures / "keras-src", pathlib.Path("fixtures/corpus/keras-src"),
             pathlib.Path("crates/keras/tests/data")):
    for f in sorted(root.rglob("*")) if root.is_dir() else []:
        name = f.name.lower()
        kind = "keras_h5" if name.endswith(".h5") else "keras_zip" if name.endswith(".keras") else None
        if kind in targets and f.stat().st_size <= MAX:
            put(kind, f.read_bytes())

for npy in sorted(fixtures.rglob("*.npy")):
    if "npy" in targets and npy.stat().st_size <= MAX:
        put("npy", npy.read_bytes())
PY
}

mkdir -p fuzz/corpus
for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
done
if command -v python3 >/dev/null 2>&1; then
    seed "${TARGETS[@]}"
else
    echo "warning: python3 is missing; only fuzz/seeds/ seeds are used" >&2
fi

# ------------------------------------------------------------------ build
# `upload` and `weight_urls` need the `net` feature (reqwest/axum, see
# fuzz/Cargo.toml). When either runs, every target is built with it: one
# feature set means the dependencies are compiled once.
FEATURES=""
SANITIZER=()
if [ -n "${FUZZ_SANITIZER:-}" ]; then
    SANITIZER=(--sanitizer "$FUZZ_SANITIZER")
fi
for t in "${TARGETS[@]}"; do
    case "$t" in
        upload | weight_urls) FEATURES="--features net" ;;
    esac
done

# One target at a time (`cargo fuzz build` takes at most one); the shared
# dependencies are built once.
for t in "${TARGETS[@]}"; do
    (cd fuzz && cargo +nightly fuzz build --release "${SANITIZER[@]}" $FEATURES "$t")
done

# -------------------------------------------------------------------- run
failed=()
summary=()
for t in "${TARGETS[@]}"; do
    log="fuzz/artifacts/$t.log"
    mkdir -p "fuzz/artifacts/$t"
    extra=()
    if [ -n "${FUZZ_MAX_RUNS:-}" ]; then
        extra+=("-runs=$FUZZ_MAX_RUNS")
    fi
    # Every crash found so far stays a regression input: run them first.
    if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
        echo "--- $t: regression inputs"
        set +e
        (cd fuzz && cargo +nightly fuzz run --release "${SANITIZER[@]}" $FEATURES "$t" "regressions/$t" -- \
            -runs=0 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048) >"$log.regressions" 2>&1
        rc=$?
        set -e
        if [ "$rc" -ne 0 ]; then
            failed+=("$t")
            summary+=("$t: a regression input crashes (exit $rc, log $log.regressions)")
            grep -E 'panicked|ERROR: libFuzzer|ERROR: AddressSanitizer|Running: ' "$log.regressions" | head -6 || true
        fi
    fi
    echo "--- $t: ${SECONDS_EACH}s"
    set +e
    (cd fuzz && cargo +nightly fuzz run --release "${SANITIZER[@]}" $FEATURES "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_EACH" -dict=dict/model_json.dict \
        -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -print_final_stats=1 "${extra[@]}") >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        summary+=("$t: CRASH after ${execs:-?} executions (exit $rc, log $log)")
        grep -E 'panicked|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY|Test unit written' "$log" | head -8 || true
    else
        summary+=("$t: ${execs:-?} executions, no crash")
    fi
done

echo
echo "==> fuzz summary (${SECONDS_EACH}s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]}" >&2
    exit 1
fi
