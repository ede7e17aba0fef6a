# ------------------------------------ real Keras loads the exports (keras owner)
# Exported .h5 / .keras files must load in tf_keras 2.21 / Keras 3.15 and
# predict the fixtures' reference outputs. Needs Python 3.11 and ~1.6 GB for
# the pinned venv (../shared/tools/keras-env/README.md); set KENV to reuse one.
section "Keras export checked by real Keras"
KENV=${KENV:-$HOME/.cache/tfjs-kenv}
if [ ! -x "$KENV/bin/python" ]; then
    if ! command -v python3.11 >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3.11 python3.11-venv
    fi
    python3.11 -m venv "$KENV"
    "$KENV/bin/pip" install -q --no-deps -r ../shared/tools/keras-env/requirements.lock.txt
fi
cargo build -q -p tfjs-cli
KOUT=$(mktemp -d)
for m in mobilenet_v2 mobilenet_v1 text_rnn text_rnn_masked keras3_cnn_keras; do
    target/debug/tfjs convert "../shared/fixtures/keras/$m" "$KOUT/$m.h5" >/dev/null
    files="$KOUT/$m.h5"
    case $m in
        text_rnn*) ;; # .keras export of Bidirectional/LSTM configs: not yet loadable by Keras 3
        *) target/debug/tfjs convert "../shared/fixtures/keras/$m" "$KOUT/$m.keras" >/dev/null
           files="$files $KOUT/$m.keras" ;;
    esac
    # shellcheck disable=SC2086
    "$KENV/bin/python" crates/keras/scripts/check_export.py "../shared/fixtures/keras/$m/io.json" $files
done
rm -rf "$KOUT"
