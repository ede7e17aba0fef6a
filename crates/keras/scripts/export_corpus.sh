#!/usr/bin/env bash
# Export every layers model of the corpus (fixtures/corpus/keras/*) and of
# ../shared/fixtures/keras/* with `tfjs convert MODEL OUT.h5|OUT.keras`,
# then load each file in real Keras (check_export.py --batch: tf_keras 2.21
# for .h5, Keras 3.15 for .keras, one Python process) and print a table:
#   <model> h5=<ok|DIFF|FAIL|CONV> keras=<ok|DIFF|FAIL|CONV>
# CONV = `tfjs convert` itself failed; FAIL = Keras could not load the file;
# DIFF = it loaded but predicts other numbers than io.json's.
# usage (repo root): crates/keras/scripts/export_corpus.sh [NAME_SUBSTRING]
# env: TFJS (default $CARGO_TARGET_DIR/debug/tfjs), KPY (default
#      /root/kenv/bin/python), VERBOSE=1 also prints each failure's message,
#      KEEP=DIR keeps the exported files there.
set -u
TFJS=${TFJS:-${CARGO_TARGET_DIR:-target}/debug/tfjs}
KPY=${KPY:-/root/kenv/bin/python}
FILTER=${1:-}
if [ -n "${KEEP:-}" ]; then OUT=$KEEP; mkdir -p "$OUT"; else
    OUT=$(mktemp -d)
    trap 'rm -rf "$OUT"' EXIT
fi
: >"$OUT/list"
models=()
for dir in fixtures/corpus/keras/*/ ../shared/fixtures/keras/*/; do
    dir=${dir%/}
    m=$(basename "$dir")
    # ../shared/fixtures/keras/mobilenet_v2 and the corpus's share a name.
    [[ $dir == ../shared/* ]] && m="shared.$m"
    [ -f "$dir/io.json" ] && [ -f "$dir/model.json" ] || continue
    [ -n "$FILTER" ] && [[ $m != *$FILTER* ]] && continue
    models+=("$m")
    for ext in h5 keras; do
        if err=$("$TFJS" convert "$dir" "$OUT/$m.$ext" 2>&1 >/dev/null); then
            echo "$dir/io.json $OUT/$m.$ext" >>"$OUT/list"
        else
            echo "$OUT/$m.$ext: CONVERT $(echo "$err" | grep -v '^rebuilt' | tr '\n' ' ')" >>"$OUT/results"
        fi
    done
done
"$KPY" crates/keras/scripts/check_export.py --batch "$OUT/list" 2>/dev/null >>"$OUT/results"
status() {
    local line
    line=$(grep -F "$OUT/$1: " "$OUT/results" | head -1)
    case "$line" in
        *": ok "*) echo ok ;;
        *": DIFFERS"*) echo DIFF ;;
        *": CONVERT"*) echo CONV ;;
        *) echo FAIL ;;
    esac
}
pass=0
for m in "${models[@]}"; do
    h=$(status "$m.h5")
    k=$(status "$m.keras")
    [ "$h$k" = okok ] && pass=$((pass + 1))
    printf '%-40s h5=%-4s keras=%-4s\n' "$m" "$h" "$k"
    if [ -n "${VERBOSE:-}" ]; then
        grep -F -e "$OUT/$m.h5: " -e "$OUT/$m.keras: " "$OUT/results" | grep -v ': ok ' | sed "s|^$OUT/|    |" | cut -c1-400
    fi
done
echo "both Keras versions: $pass of ${#models[@]} models"
