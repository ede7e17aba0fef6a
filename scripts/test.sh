#!/usr/bin/env bash
# Run every check CI runs. Works on a fresh Debian machine as root with a
# Rust toolchain (installs it with rustup when `cargo` is missing).
#
# Sections are independent; append new ones (npm, Chromium, moto, …) at the
# end, each starting with `section "name"`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each section prints its name; the next one (and the end) prints how long
# the previous one took, so slow sections are visible in CI logs.
TOTAL_START=$SECONDS
SECTION_NAME=""
SECTION_START=$SECONDS
section() {
    if [ -n "$SECTION_NAME" ]; then
        printf '<== %s: %ds (disk free: %s)\n' "$SECTION_NAME" "$((SECONDS - SECTION_START))" \
            "$(df -h . 2>/dev/null | awk 'NR==2 {print $4}')"
    fi
    SECTION_NAME="$*"
    SECTION_START=$SECONDS
    printf '\n==> %s\n' "$*"
}

# Node.js >= 20 first on PATH: Debian 12's nodejs is 18, which the pinned
# playwright-core (e2e/http) refuses. Then Node 20 comes from the npm
# registry's `node` package (which fetches the matching node-linux-* build)
# into target/node20, installed once and reused.
ensure_node20() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
    fi
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 20 ]; then
        local prefix="$PWD/target/node20"
        if [ ! -x "$prefix/node_modules/.bin/node" ]; then
            echo "node $(node --version) is too old; installing node@20 from the npm registry into $prefix"
            npm install --no-audit --no-fund --prefix "$prefix" node@20
        fi
        export PATH="$prefix/node_modules/.bin:$PATH"
        hash -r
    fi
    echo "node $(node --version), npm $(npm --version)"
}

# ---------------------------------------------------------------- toolchain
section "toolchain"
if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        if ! command -v curl >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq curl ca-certificates build-essential
        fi
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi
cargo --version
# CI's disk is small and varies (a run once failed for lack of space while
# building the fuzz targets): a one-shot build gains nothing from incremental
# caches (about 5 GB here); set it yourself to override. (How much debuginfo
# the tests carry is set once, in Cargo.toml's [profile.dev].)
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
df -h . | awk 'NR==2 {print "disk free at start: " $4 " of " $2}'
# Incremental caches left by a developer's builds are of no use to this run.
if [ -d "${CARGO_TARGET_DIR:-target}/debug/incremental" ]; then
    echo "removing ${CARGO_TARGET_DIR:-target}/debug/incremental (unused with CARGO_INCREMENTAL=0)"
    rm -rf "${CARGO_TARGET_DIR:-target}/debug/incremental"
fi
if [ ! -d ../shared/fixtures ]; then
    echo "warning: ../shared/fixtures is missing; fixture tests will fail" >&2
fi

# -------------------------------------------------------------------- rust
section "cargo fmt --check"
cargo fmt --all -- --check

section "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# ------------------------------------------- S3 API on loopback (cloud owner)
# The s3:// tests talk to moto in server mode on 127.0.0.1; it is stopped
# when this script exits.
section "moto (S3 API on loopback)"
if ! command -v moto_server >/dev/null 2>&1; then
    if ! command -v pip3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3-pip
    fi
    python3 -m pip install -q 'moto[server]' || python3 -m pip install -q --break-system-packages 'moto[server]'
    hash -r
fi
MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$MOTO_PORT" >/dev/null 2>&1 &
MOTO_PID=$!
SP_PID=""
trap 'kill $MOTO_PID $SP_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MOTO_PORT") 2>/dev/null && break
    sleep 0.1
done
export TFJS_S3_TEST_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
echo "moto_server on $TFJS_S3_TEST_ENDPOINT"

section "cargo test"
cargo test --workspace

# ------------------------------------------ examples and README (cli owner)
# Every example builds (cargo test built them above); these run on real
# fixtures, so the README's commands work as written.
section "examples: load_predict, build_save, store_router"
EXAMPLE_OUT="$(mktemp -d)"
cargo run -q -p tfjs-layers --example load_predict -- ../shared/fixtures/keras/mobilenet_v2
cargo run -q -p tfjs-layers --example load_predict -- ../shared/fixtures/tfjs/functional_multi_io
cargo run -q -p tfjs-layers --example build_save -- "$EXAMPLE_OUT/my-model"
cargo run -q -p tfjs-cli --example store_router -- ../shared/fixtures/tfjs/mlp
rm -rf "$EXAMPLE_OUT"

section "example: serve_predict answers a request"
cargo build -q -p tfjs-cli --example serve_predict
SP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${CARGO_TARGET_DIR:-target}/debug/examples/serve_predict" ../shared/fixtures/tfjs/mlp "127.0.0.1:$SP_PORT" &
SP_PID=$!
python3 - "$SP_PORT" <<'PY'
import json, sys, time, urllib.error, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/predict"
def post(inputs):
    req = urllib.request.Request(url, json.dumps({"inputs": inputs}).encode(), {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))
for _ in range(200):
    try:
        out = post([{"shape": [1, 8], "data": [0.1] * 8}])
        break
    except urllib.error.URLError:
        time.sleep(0.1)
else:
    sys.exit("serve_predict did not answer")
assert out["outputs"][0]["shape"] == [1, 4], out
try:
    post([{"shape": [1, 7], "data": [0.1] * 7}])
    sys.exit("a wrong shape was accepted")
except urllib.error.HTTPError as e:
    err = json.load(e)["error"]
    assert e.code == 400 and "the model expects 1 input(s)" in err, err
print("serve_predict: ok", out["outputs"][0]["data"])
PY
kill "$SP_PID"

# --------------------------------------------------------- more sections go
# below (keep each self-contained).

# ------------------------------------ TF.js end-to-end (layers engine owner)
# Every fixture after our load -> save round trip, plus Rust-built models,
# must load in real TensorFlow.js 4.22 (pure JS cpu backend) and reproduce
# the reference outputs.
section "tfjs-node e2e: models saved by tfjs-layers load in TensorFlow.js 4.22"
ensure_node20
E2E_OUT="$(mktemp -d)"
cargo run -q -p tfjs-layers --example e2e_export -- "$E2E_OUT/models"
# Keras 3 .keras files imported by `tfjs convert model.keras OUT/` (the zip
# reader, then the rebuild into TF.js form) load in TF.js and predict like
# Keras: SRC:IO_JSON, the corpus ones whose classes TF.js 4.22 has.
cargo build -q -p tfjs-cli
for spec in ../shared/fixtures/keras-src/keras3_cnn_h5/model.keras:../shared/fixtures/keras/keras3_cnn_keras/io.json \
    fixtures/corpus/keras-src/keras3zip_{mobilenet_v2,time_distributed,vgg_style,xception_style}/model.keras; do
    src=${spec%%:*}
    io=${spec#*:}
    [ "$io" = "$spec" ] && io="fixtures/corpus/keras/$(basename "$(dirname "$src")")/io.json"
    dst="$E2E_OUT/models/keras_import__$(basename "$(dirname "$src")")"
    "${CARGO_TARGET_DIR:-target}/debug/tfjs" convert "$src" "$dst" >/dev/null
    printf '{"io": "%s"}' "$(realpath "$io")" > "$dst/reference.json"
done
(
    cd e2e/tfjs-node
    npm ci --no-audit --no-fund || npm install --no-audit --no-fund
    node check_roundtrip.mjs "$E2E_OUT/models"
)
rm -rf "$E2E_OUT"
# ------------------------------------------------ end TF.js end-to-end

# ------------------------- HTTP end-to-end (http handler / tfjs serve owner)
# Real TensorFlow.js 4.22.0 in Node and in Debian's headless Chromium
# (playwright-core, no browser download) saves to `tfjs serve`, loads back,
# and exchanges models with our Rust http(s):// handler. Installs chromium
# and the npm packages (e2e/http/package.json) when missing. Screenshots go
# to target/e2e-artifacts/.
section "http e2e: TensorFlow.js (Node + Chromium) against tfjs serve"
e2e/http/run.sh
# ------------------------------------------------- end HTTP end-to-end

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
TFJS_DEBUG_BIN="${CARGO_TARGET_DIR:-target}/debug/tfjs"
KOUT=$(mktemp -d)
# MODEL_DIR[:SOURCE]: io.json in MODEL_DIR, converted from SOURCE (default the
# TF.js model in MODEL_DIR). The recurrent ones cover LSTM/GRU/SimpleRNN,
# Bidirectional, TimeDistributed, generic RNN cells and masking; tfop_* and
# *keras3_ops TFOpLambda / keras.ops calls (Keras 3 operation nodes in
# .keras, tf.* functions in .h5); transformer_* / cross_attention
# MultiHeadAttention call arguments; prep_image Keras-2-only keys, keras3*
# attention / prep models Keras-3-only keys; prep_discretiz* Discretization's
# dtype and keys for Keras 3; convnext_tiny a nested Sequential and
# LayerScale; the held-out unet … keras3zip_multi_io encoder-decoders, shared
# layers, multiple inputs/outputs, 3-D convolutions, Sequential, ConvLSTM2D
# (Keras 3 cell weight paths); activations_zoo … keras3h5_adv_act_dropouts
# the activations each Keras lacks or reads otherwise (hard_sigmoid, hard_silu),
# RandomCrop's two meanings, EinsumDense, keys one Keras rejects, and a
# rewritten model's layer order (Keras numbers weights by depth); seq2seq_lstm …
# keras3h5_convnext_tiny Keras 3's call form (initial states, Attention's
# kwargs, nested models' node counts and weight paths, operation arguments on
# a nested model, list constants), multi-axis normalization, Reshape's -1,
# ThresholdedReLU, the Keras 2 LSTM's hard_sigmoid gates in Keras 3; vit_tiny …
# seq2seq_attention held-out models whose operations map both ways;
# SpectralNormalization and the bicubic/area/lanczos resizes; masked_pooling …
# tfop_wave2 the fourth held-out batch (GroupQueryAttention, sliding
# windows, RMSNormalization, reflect/symmetric padding, cumprod, 1-D/3-D
# cropping and transposed convolutions, concat/additive attention, LoRA, a
# Bidirectional's own backward_layer, pad_to_aspect_ratio); birnn_stack_states …
# keras3zip_resize_antialias a Bidirectional's stacked states as initial
# states, an explicit mask beside Keras's own, tensor-indexed gathers and
# antialiased resizes. All files
# are checked by one Python process (check_export.py --batch).
: >"$KOUT/list"
for spec in ../shared/fixtures/keras/{mobilenet_v2,mobilenet_v1,text_rnn,text_rnn_masked,keras3_cnn_keras} \
    fixtures/corpus/keras/{time_distributed,birnn_masked,masking_rnn,densenet121,efficientnet_b0,inception_v3_style} \
    fixtures/corpus/keras/{tfop_arith,tfop_cnn,tfop_shapes_loadable,mobilenet_v3_small,regnetx002,keras3zip_keras3_ops,keras3h5_keras3_ops} \
    fixtures/corpus/keras/{transformer_causal,transformer_attention_mask,transformer_padmask,cross_attention,keras3zip_masking_rnn,prep_image} \
    fixtures/corpus/keras/{keras3zip_transformer_causal,keras3h5_cross_attention,keras3zip_prep_image,keras3h5_prep_integer_lookup} \
    fixtures/corpus/keras/keras3zip_transformer_padmask@keras fixtures/corpus/keras/t35_seq_tagger \
    fixtures/corpus/keras/{prep_discretization,keras3zip_prep_discretize} \
    fixtures/corpus/keras/convnext_tiny \
    fixtures/corpus/keras/{unet,siamese,multi_io,conv_autoencoder,conv3d_net,lenet_sequential,keras3zip_siamese,keras3zip_multi_io,keras3zip_convlstm} \
    fixtures/corpus/keras/{activations_zoo,keras3zip_mobilenet_v3_small,random_crop_k2,einsum_dense_block,keras3h5_einsum_dense_block,text_cnn,keras3h5_adv_act_dropouts} \
    fixtures/corpus/keras/{seq2seq_lstm,keras3zip_seq2seq_lstm,nested_models,keras3h5_nested_models,td_cnn_video,keras3zip_td_cnn_video} \
    fixtures/corpus/keras/{constant_operands,keras3zip_constant_operands,mha_options,keras3zip_mha_options,attention_layers,keras3h5_attention_layers} \
    fixtures/corpus/keras/{normalization_axes,keras3zip_k3_augment_layers,tfop_compare,keras3zip_k3_ops_math,dense_nd,shape_merge_ops} \
    fixtures/corpus/keras/{adv_act_dropouts,stacked_rnn,convlstm,keras3h5_convnext_tiny} \
    fixtures/corpus/keras/{vit_tiny,convlstm1d_net,keras3zip_k3_ops_extra,keras3h5_k3_ops_more,crnn_ocr,keras3zip_dict_io,seq2seq_attention} \
    fixtures/corpus/keras/{keras3zip_spectral_norm_gan,keras3zip_upsample_interpolations} \
    fixtures/corpus/keras/{masked_pooling,cropping_padding_nd,attention_variants,keras3zip_activation_layers} \
    fixtures/corpus/keras/{nested_multi_output,keras3zip_k3_ops_nn,norm_variants,tfop_image_ops@h5} \
    fixtures/corpus/keras/{keras3zip_k3_gqa,keras3h5_k3_gqa,keras3zip_k3_norm_identity,keras3zip_k3_sliding_window}@keras \
    fixtures/corpus/keras/{keepdims_pooling,rnn_variants2,keras3zip_rnn_variants2,attention_call_flags,conv_dilation_groups,keras3zip_k3_lora} \
    fixtures/corpus/keras/{keras3zip_k3_ops_wave2,keras3zip_k3_resizing_aspect}@keras fixtures/corpus/keras/tfop_wave2@h5 \
    fixtures/corpus/keras/{lookup_padded,keras3zip_lookup_padded} \
    fixtures/corpus/keras/{keras3zip_k3_activations_new,keras3zip_k3_ops_nn2}@keras fixtures/corpus/keras/{tfop_wave3,tf_shape_dynamic,rnn_time_major}@h5 fixtures/corpus/keras/{keras3h5_k3_lora,convlstm3d_net,keras3zip_convlstm3d_net} fixtures/corpus/keras/{keras3zip_k3_adaptive_pooling,keras3zip_k3_adaptive_divisible,keras3zip_k3_pipeline,keras3h5_k3_gated_attention,keras3zip_k3_gated_attention}@keras fixtures/corpus/keras/{inception_resnet_scale,keras3zip_inception_resnet_scale,text_vectorization,keras3zip_text_vectorization} \
    fixtures/corpus/keras/{keras3h5_k3_audio_frontend,keras3zip_k3_audio_frontend,keras3h5_k3_image_adjust,keras3zip_k3_image_adjust}@keras \
    fixtures/corpus/keras/{mha_attention_axes,keras3h5_mha_attention_axes,keras3zip_mha_attention_axes} fixtures/corpus/keras/{channels_first_k2,resize_tf_kernels}@h5 fixtures/corpus/keras/{keras3zip_k3_encode_rank3,keras3zip_k3_ops_wave3}@keras fixtures/corpus/keras/tfop_wave4@h5 fixtures/corpus/keras/{stacked_cells_tfjs,keras3zip_stacked_cells_tfjs,stacked_cells,keras3h5_stacked_cells,keras3zip_stacked_cells} \
    fixtures/corpus/keras/{keras3h5_k3_reversible_embedding,keras3zip_k3_reversible_embedding,keras3h5_text_vectorization_ngrams,keras3zip_text_vectorization_ngrams,keras3h5_k3_pipeline_weights,keras3zip_k3_pipeline_weights}@keras \
    fixtures/corpus/keras/{cudnn_lstm,cudnn_gru,sync_batchnorm} fixtures/corpus/keras/random_fourier_features@h5 fixtures/corpus/keras/hashed_crossing@h5 fixtures/corpus/keras/{keras3h5_hashed_crossing,keras3zip_hashed_crossing,text_vectorization_ngrams} \
    crates/cli/tests/data/adapted_tfidf:crates/cli/tests/data/adapted_tfidf/model.keras@keras \
    fixtures/corpus/keras/{keras3zip_k3_int8_quantized,keras3h5_k3_int8_quantized,keras3zip_k3_int4_quantized,keras3h5_k3_int4_quantized,keras3zip_k3_quantized_tfjs,keras3zip_k3_int8_bf16,keras3zip_k3_int4_bf16,keras3zip_k3_int4_f16}@keras \
    fixtures/corpus/keras/{keras3h5_k3_gptq_dense,keras3h5_k3_awq_dense,keras3h5_k3_gptq_einsum,keras3h5_k3_awq_einsum} \
    fixtures/corpus/keras/{mixed_f16_cnn,keras3h5_mixed_f16_cnn,keras3zip_mixed_f16_cnn,keras3zip_mixed_bf16_cnn} \
    fixtures/corpus/keras/{keras3zip_k3_glu_activation,keras3zip_k3_stats_ops,keras3zip_k3_segment_ops}@keras \
    fixtures/corpus/keras/keras3zip_k3_glu_tfjs fixtures/corpus/keras/{tfop_stats_segments,tfop_boolean_mask}@h5 \
    fixtures/corpus/keras/tfop_repeat@h5 fixtures/corpus/keras/keras3zip_k3_tensordot@keras \
    fixtures/corpus/keras/{constant_divide,keras3zip_constant_divide,rnn_cell_states,keras3zip_rnn_cell_states,rnn_stack_states,keras3zip_rnn_stack_states} \
    fixtures/corpus/keras/{explicit_mask,keras3zip_explicit_mask,explicit_mask_computed,keras3zip_explicit_mask_computed} \
    fixtures/corpus/keras/{birnn_stack_states,keras3zip_birnn_stack_states,keras3zip_explicit_mask_own_too,resize_antialias} \
    fixtures/corpus/keras/gather_batch@h5 fixtures/corpus/keras/{keras3zip_gather_batch,keras3zip_resize_antialias}@keras \
    crates/keras/tests/data/k2_rnn_wrappers:crates/keras/tests/data/k2_rnn_wrappers/model.h5; do
    # `@h5` / `@keras`: the other Keras cannot hold the model (Keras-3-only
    # layers; tf.* functions keras.ops lacks), so only this export.
    formats="h5 keras"
    case $spec in *@*) formats=${spec##*@}; spec=${spec%@*} ;; esac
    dir=${spec%%:*}
    src=${spec#*:}
    m=$(basename "$dir")
    for f in $formats; do
        "$TFJS_DEBUG_BIN" convert "$src" "$KOUT/$m.$f" >/dev/null
        printf '%s %s\n' "$dir/io.json" "$KOUT/$m.$f" >>"$KOUT/list"
    done
done
"$KENV/bin/python" crates/keras/scripts/check_export.py --batch "$KOUT/list"
rm -rf "$KOUT"

# ------------------------------------------------ fuzzing (issue 15 owner)
# Every fuzz target (fuzz/, scripts/fuzz.sh) replays its regression inputs,
# then fuzzes for 20 s from the fixtures' seeds; any crash, timeout or
# allocation over 2 GB fails. CI builds without AddressSanitizer to stay in
# its time budget; the longer campaigns use the default (ASan) build.
section "fuzz: every target 20 s, regression inputs first (any crash fails)"
# The fuzz targets build into fuzz/target with their own flags (several GB;
# CI once ran out of disk there): where the disk is short, the debug test
# build, no longer needed once the tests ran, makes room.
avail_kb=$(df -Pk . | awk 'NR==2 {print $4}')
if [ "${avail_kb:-0}" -lt $((8 * 1024 * 1024)) ]; then
    echo "under 8 GB free: removing target/debug (the tests have run) to make room for the fuzz build"
    rm -rf target/debug
fi
FUZZ_SANITIZER=none FUZZ_JOBS=2 scripts/fuzz.sh 20

section "done"
echo "all checks passed in $((SECONDS - TOTAL_START))s"
