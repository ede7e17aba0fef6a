//! The `tfjs` binary on every fixture.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{assert_stderr, fixture_dirs, fixtures, s, stdout_of, text, tfjs};

/// `tfjs ARGS`' stdout; panics naming the arguments unless it exits 0.
fn ok(args: &[&str]) -> String {
    stdout_of(&format!("tfjs {args:?}"), tfjs(args))
}

fn json(args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(&a)).unwrap()
}

fn all_fixtures() -> Vec<PathBuf> {
    fixture_dirs(&["model.json"])
}

#[test]
fn info_matches_the_tfjs_fixture_index() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("tfjs/index.json")).unwrap())
            .unwrap();
    for f in index["fixtures"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let info = json(&["info", s(&fixtures().join("tfjs").join(name))]);
        assert_eq!(info["modelClass"], f["className"], "{name}");
        assert_eq!(info["weightCount"], f["weights"], "{name}");
        assert_eq!(info["weightBytes"], f["weightBytes"], "{name}");
        let mut ours: Vec<String> = info["layersByClass"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        ours.push(info["modelClass"].as_str().unwrap().to_string());
        ours.sort();
        ours.dedup();
        let mut theirs: Vec<String> = f["layerClasses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        theirs.sort();
        theirs.dedup();
        assert_eq!(ours, theirs, "{name}: layer classes");
        assert_eq!(info["shards"][0]["path"], "weights.bin", "{name}");
        assert_eq!(info["shards"][0]["bytes"], f["weightBytes"], "{name}");
        assert_eq!(info["format"], "layers-model");
        assert_eq!(info["generatedBy"], "TensorFlow.js tfjs-layers v4.22.0");
    }
    // Optimizer weights are counted apart; metadata is shown.
    let trained = json(&["info", s(&fixtures().join("tfjs/trained"))]);
    assert!(trained["optimizerParameters"].as_u64().unwrap() > 0);
    assert_eq!(
        trained["trainingConfig"]["optimizer_config"]["class_name"],
        "Adam"
    );
    let meta = json(&["info", s(&fixtures().join("tfjs/metadata"))]);
    let on_disk: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("tfjs/metadata/model.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["userDefinedMetadata"], on_disk["userDefinedMetadata"]);
}

#[test]
fn info_on_keras_fixtures_counts_parameters() {
    // Parameter counts from the keras fixtures' README.
    for (name, params) in [
        ("mobilenet_v2", 538_308),
        ("mobilenet_v1", 475_544),
        ("mobilenet_v1_sharded", 475_544),
    ] {
        let info = json(&["info", s(&fixtures().join("keras").join(name))]);
        assert_eq!(info["parameters"], params, "{name}");
        assert_eq!(info["modelClass"], "Functional", "{name}");
        assert_eq!(info["convertedBy"], "TensorFlow.js Converter v4.22.0");
    }
    let sharded = json(&["info", s(&fixtures().join("keras/mobilenet_v1_sharded"))]);
    let shards = sharded["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 20);
    assert_eq!(shards[0]["path"], "group1-shard1of20.bin");
    assert_eq!(shards[0]["bytes"], 100_000);
    let q = json(&["info", s(&fixtures().join("keras/mobilenet_v2_uint8"))]);
    let n = q["weightCount"].clone();
    assert_eq!(q["quantization"]["uint8"]["weights"], n);
    let f16 = json(&["info", s(&fixtures().join("keras/mobilenet_v2_float16"))]);
    assert_eq!(
        f16["quantization"]["float16"]["storedBytes"]
            .as_u64()
            .unwrap()
            * 2,
        f16["quantization"]["float16"]["dequantizedBytes"]
            .as_u64()
            .unwrap()
    );
    // Text output names the parts.
    let t = ok(&["info", s(&fixtures().join("keras/text_rnn"))]);
    for needle in [
        "class:          Sequential",
        "Bidirectional",
        "LSTM",
        "GRU",
        "quantization:   none",
        "group1-shard1of1.bin",
    ] {
        assert!(t.contains(needle), "{needle:?} not in\n{t}");
    }
}

#[test]
fn verify_accepts_every_fixture() {
    for dir in all_fixtures() {
        let out = ok(&["verify", s(&dir)]);
        assert!(out.starts_with("OK file://"), "{}: {out}", dir.display());
        assert_eq!(out.lines().count(), 1);
    }
}

#[test]
fn verify_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("tfjs/cnn");
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(src.join("model.json")).unwrap()).unwrap();
    v["weightsManifest"][0]["weights"][0]["dtype"] = "float64".into();
    v["weightsManifest"][0]["weights"][1]["quantization"] = serde_json::json!({"dtype": "int4"});
    v["weightsManifest"][0]["weights"][2]["name"] = "not_a_layer/gamma".into();
    v["weightsManifest"][0]["paths"] = serde_json::json!(["weights.bin", "gone.bin"]);
    std::fs::write(
        dir.path().join("model.json"),
        serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("weights.bin"),
        b"<html><body>502 Bad Gateway</body></html>",
    )
    .unwrap();
    let o = tfjs(&["verify", s(dir.path())]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for needle in [
        "weights[0].dtype: Unsupported dtype \"float64\"",
        "weights[1].quantization.dtype: unknown quantization dtype \"int4\"",
        "weight \"not_a_layer/gamma\": the topology has no layer \"not_a_layer\"",
        "gone.bin does not exist: loading failed",
        "weights.bin: the file looks like HTML, not binary weights",
    ] {
        assert!(out.contains(needle), "{needle:?} not in\n{out}");
    }
    assert_eq!(out.lines().count(), 5, "{out}");
    assert!(text(&o.stderr).contains("5 problem(s) found"));
    let j = tfjs(&["--json", "verify", s(dir.path())]);
    assert_eq!(j.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"].as_array().unwrap().len(), 5);
}

#[test]
fn convert_reshards_mobilenet_v1_exactly_like_the_converter() {
    let out = tempfile::tempdir().unwrap();
    let dst = out.path().join("m");
    ok(&[
        "convert",
        s(&fixtures().join("keras/mobilenet_v1")),
        s(&dst),
        "--shard-size",
        "100000",
    ]);
    let expected = fixtures().join("keras/mobilenet_v1_sharded");
    let mut names: Vec<String> = std::fs::read_dir(&dst)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 21);
    for n in &names {
        assert!(
            std::fs::read(dst.join(n)).unwrap() == std::fs::read(expected.join(n)).unwrap(),
            "{n} differs from the fixture"
        );
    }
}

/// Every file in `dir`, sorted by name.
fn dir_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn convert_reads_keras_files_through_the_binary_like_the_converter() {
    // The command-line path (reading the whole file from disk, uncapped;
    // --quantize through the CLI's own quantization; the save) on top of
    // the library's byte-for-byte tests in crates/keras.
    let out = tempfile::tempdir().unwrap();
    // Every keras-src -> keras pair, with the converter flags each was made
    // with (../shared/fixtures/keras-src/README.md).
    for (src, fixture, flags) in [
        ("mobilenet_v2/model.h5", "mobilenet_v2", &[][..]),
        (
            "mobilenet_v2/model.h5",
            "mobilenet_v2_uint8",
            &["--quantize", "uint8"][..],
        ),
        (
            "mobilenet_v2/model.h5",
            "mobilenet_v2_float16",
            &["--quantize", "float16"][..],
        ),
        ("mobilenet_v1/model.h5", "mobilenet_v1", &[][..]),
        (
            "mobilenet_v1/model.h5",
            "mobilenet_v1_sharded",
            &["--shard-size", "100000"][..],
        ),
        ("text_rnn/model.h5", "text_rnn", &[][..]),
        ("text_rnn_masked/model.h5", "text_rnn_masked", &[][..]),
        ("keras3_cnn_h5/model.h5", "keras3_cnn_h5", &[][..]),
        (
            "keras3_cnn_h5/model.keras",
            "keras3_cnn_keras",
            &["--like-converter"][..],
        ),
    ] {
        let dst = out.path().join(fixture);
        let h5 = fixtures().join("keras-src").join(src);
        let mut args = vec!["convert", s(&h5), s(&dst)];
        args.extend_from_slice(flags);
        ok(&args);
        let expected = fixtures().join("keras").join(fixture);
        let names = dir_files(&dst);
        let mut want = dir_files(&expected);
        want.retain(|n| n != "io.json");
        assert_eq!(names, want, "{fixture}");
        for n in &names {
            assert!(
                std::fs::read(dst.join(n)).unwrap() == std::fs::read(expected.join(n)).unwrap(),
                "{fixture}: {n} differs from the converter's"
            );
        }
    }
}

#[test]
fn convert_every_fixture_to_uint8_then_info_shows_it() {
    for dir in all_fixtures() {
        let out = tempfile::tempdir().unwrap();
        let dst = out.path().join("q");
        ok(&["convert", s(&dir), s(&dst), "--quantize", "uint8"]);
        let before = json(&["info", s(&dir)]);
        let after = json(&["info", s(&dst)]);
        let floats = before["bytesByDtype"]["float32"]["weights"]
            .as_u64()
            .unwrap();
        assert_eq!(
            after["quantization"]["uint8"]["weights"].as_u64().unwrap(),
            floats,
            "{}",
            dir.display()
        );
        assert_eq!(after["parameters"], before["parameters"]);
        assert_eq!(after["weightCount"], before["weightCount"]);
        ok(&["verify", s(&dst)]);
        // Plain conversion keeps the weight bytes.
        let plain = out.path().join("p");
        ok(&["convert", s(&dir), s(&plain)]);
        let p = json(&["info", s(&plain)]);
        assert_eq!(p["weightBytes"], before["weightBytes"]);
        assert_eq!(p["shards"].as_array().unwrap().len(), 1);
        assert_eq!(p["shards"][0]["path"], "weights.bin");
    }
}

#[test]
fn convert_uint8_matches_the_converters_quantized_fixture() {
    let out = tempfile::tempdir().unwrap();
    for (dtype, expected) in [
        ("uint8", "mobilenet_v2_uint8"),
        ("float16", "mobilenet_v2_float16"),
    ] {
        let dst = out.path().join(dtype);
        ok(&[
            "convert",
            s(&fixtures().join("keras/mobilenet_v2")),
            s(&dst),
            "--quantize",
            dtype,
            "--shard-size",
            "4194304",
        ]);
        let expected = fixtures().join("keras").join(expected);
        for f in ["model.json", "group1-shard1of1.bin"] {
            assert!(
                std::fs::read(dst.join(f)).unwrap() == std::fs::read(expected.join(f)).unwrap(),
                "{dtype} {f} differs"
            );
        }
    }
}

#[test]
fn errors_exit_2_with_a_clear_message() {
    let o = tfjs(&["info", "/definitely/not/here"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr).trim_end(),
        "error: cannot load file:///definitely/not/here: Path /definitely/not/here does not exist: loading failed"
    );
    let o = tfjs(&["info", "foo://bar"]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.starts_with("error: cannot load foo://bar: Cannot find any load handlers for URL 'foo://bar'. Supported schemes are: "), "{e}");
    assert!(e.contains("file://") && e.contains("memory://"), "{e}");
    let mlp = fixtures().join("tfjs/mlp");
    for (dst, option, value, error) in [
        (
            "/tmp/x",
            "--quantize",
            "int4",
            "unknown quantization dtype \"int4\"",
        ),
        (
            "memory://m",
            "--shard-size",
            "10",
            "--shard-size and --style only apply to file:// destinations",
        ),
    ] {
        assert_stderr(&tfjs(&["convert", s(&mlp), dst, option, value]), 2, error);
    }
}

#[test]
fn help_teaches_with_examples() {
    let top = ok(&["--help"]);
    for needle in ["info", "verify", "convert", "Examples:", "Exit status"] {
        assert!(top.contains(needle), "{needle:?} not in\n{top}");
    }
    assert!(!top.contains("bench-io"), "bench-io is hidden");
    for cmd in ["info", "verify", "convert"] {
        let h = ok(&[cmd, "--help"]);
        assert!(
            h.contains("Examples:") && h.contains(&format!("tfjs {cmd}")),
            "{cmd}: {h}"
        );
    }
}

#[cfg(unix)]
#[test]
fn killing_a_convert_never_leaves_a_mixed_model() {
    // Overwrite a model directory with a different model again and again,
    // killing the writer at varying moments: the directory always holds
    // one of the two models, complete.
    let out = tempfile::tempdir().unwrap();
    let dst = out.path().join("m");
    let [a, b] = ["keras/mobilenet_v1", "keras/mobilenet_v2"].map(|m| fixtures().join(m));
    ok(&["convert", s(&a), s(&dst)]);
    let bytes_a = json(&["info", s(&a)])["weightBytes"].clone();
    let bytes_b = json(&["info", s(&b)])["weightBytes"].clone();
    for i in 0..12u64 {
        let src = if i % 2 == 0 { &b } else { &a };
        let mut child = Command::new(env!("CARGO_BIN_EXE_tfjs"))
            .args(["convert", s(src), s(&dst)])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(10 * i));
        let _ = child.kill();
        let _ = child.wait();
        let o = tfjs(&["verify", s(&dst)]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "after kill {i}: {}",
            text(&o.stdout)
        );
        let now = json(&["info", s(&dst)])["weightBytes"].clone();
        assert!(now == bytes_a || now == bytes_b, "after kill {i}: {now}");
    }
}

#[test]
fn convert_imports_keras_zips_into_tfjs_form_that_predicts_like_keras() {
    // `tfjs convert model.keras OUT/`: the zip reader, then the rebuild
    // (TF.js 4.22 loading these is checked by scripts/test.sh's e2e).
    let out = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus");
    let mut cases = vec![(
        fixtures().join("keras-src/keras3_cnn_h5/model.keras"),
        fixtures().join("keras/keras3_cnn_keras/io.json"),
    )];
    for m in ["keras3zip_time_distributed", "keras3zip_vgg_style"] {
        cases.push((
            corpus.join("keras-src").join(m).join("model.keras"),
            corpus.join("keras").join(m).join("io.json"),
        ));
    }
    for (i, (src, io)) in cases.iter().enumerate() {
        let dst = out.path().join(i.to_string());
        let o = tfjs(&["convert", s(src), s(&dst)]);
        assert!(o.status.success(), "{}: {}", src.display(), text(&o.stderr));
        assert!(
            text(&o.stderr).contains("rebuilt through the layers engine (a Keras 3 .keras file)"),
            "{}",
            text(&o.stderr)
        );
        let model: Value =
            serde_json::from_slice(&std::fs::read(dst.join("model.json")).unwrap()).unwrap();
        assert_eq!(model["modelTopology"]["backend"], "tensor_flow.js");
        ok(&["predict", s(&dst), "--inputs", s(io), "--check"]);
    }
}

#[test]
fn convert_rebuilds_keras3_models_into_tfjs_form_by_default() {
    let out = tempfile::tempdir().unwrap();
    for fixture in ["keras3_cnn_keras", "keras3_cnn_h5"] {
        let src = fixtures().join("keras").join(fixture);
        let dst = out.path().join(fixture);
        let o = tfjs(&["convert", src.to_str().unwrap(), dst.to_str().unwrap()]);
        assert!(o.status.success(), "{fixture}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("rebuilt through the layers engine (a Keras 3 topology)"));
        let model: Value =
            serde_json::from_slice(&std::fs::read(dst.join("model.json")).unwrap()).unwrap();
        assert_eq!(
            model["modelTopology"]["keras_version"], "tfjs-layers 4.22.0",
            "{fixture}"
        );
        assert_eq!(
            model["modelTopology"]["backend"], "tensor_flow.js",
            "{fixture}"
        );
        let names: Vec<&str> = model["weightsManifest"][0]["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"dw_conv/depthwise_kernel"),
            "{fixture}: {names:?}"
        );
        assert!(
            names.iter().all(|n| !n.contains("/vars/")),
            "{fixture}: {names:?}"
        );
        // Still the same model: it reproduces Keras's outputs.
        let io = src.join("io.json");
        ok(&[
            "predict",
            dst.to_str().unwrap(),
            "--inputs",
            io.to_str().unwrap(),
            "--check",
        ]);
    }
    // --no-rebuild keeps the Keras 3 artifacts as they are.
    let src = fixtures().join("keras/keras3_cnn_keras");
    let dst = out.path().join("plain");
    ok(&[
        "convert",
        src.to_str().unwrap(),
        dst.to_str().unwrap(),
        "--no-rebuild",
    ]);
    let model: Value =
        serde_json::from_slice(&std::fs::read(dst.join("model.json")).unwrap()).unwrap();
    assert_eq!(model["modelTopology"]["keras_version"], "3.15.1");
    // A TensorFlow.js-saved model is not rebuilt unless asked.
    let mlp = fixtures().join("tfjs/mlp");
    let o = tfjs(&[
        "convert",
        mlp.to_str().unwrap(),
        out.path().join("mlp").to_str().unwrap(),
    ]);
    assert!(
        o.status.success() && !text(&o.stderr).contains("rebuilt"),
        "{}",
        text(&o.stderr)
    );
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/corpus/keras")
        .join(name)
}

#[test]
fn convert_rebuild_rewrites_keras_only_layers_into_tfjs_ones() {
    let out = tempfile::tempdir().unwrap();
    // TFOpLambda (MobileNetV3's hard-swish), Normalization + invert,
    // MultiHeadAttention: rewritten, and the result still reproduces Keras.
    for fixture in [
        "mobilenet_v3_small",
        "prep_normalization",
        "cross_attention",
    ] {
        let src = corpus(fixture);
        let dst = out.path().join(fixture);
        let o = tfjs(&["convert", s(&src), s(&dst), "--rebuild"]);
        assert!(o.status.success(), "{fixture}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("rewritten for TensorFlow.js 4.22:"),
            "{fixture}: {}",
            text(&o.stderr)
        );
        let model = std::fs::read_to_string(dst.join("model.json")).unwrap();
        for class in [
            "\"TFOpLambda\"",
            "\"Normalization\"",
            "\"MultiHeadAttention\"",
        ] {
            assert!(!model.contains(class), "{fixture}: {class} left");
        }
        let io = src.join("io.json");
        ok(&["predict", s(&dst), "--inputs", s(&io), "--check"]);
    }
}

#[test]
fn convert_rebuild_lists_every_unrewritable_layer_in_one_error() {
    let out = tempfile::tempdir().unwrap();
    let dst = out.path().join("x");
    let o = tfjs(&["convert", s(&corpus("stateful_rnn")), s(&dst), "--rebuild"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("`gru` (GRU): GRU with reset_after: true") && err.contains("stateful: true"),
        "{err}"
    );
    assert!(!dst.exists());
    let o = tfjs(&["convert", s(&corpus("tfop_math")), s(&dst), "--rebuild"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("layers without an exact equivalent"), "{err}");
    // (`tf.where` of the float comparisons' 0/1 results is rewritten; the
    // comparisons are refused, naming their fractional operand.)
    for layer in [
        "tf.math.rsqrt",
        "tf.math.greater",
        "tf.math.reduce_logsumexp",
    ] {
        assert!(
            err.contains(&format!("`{layer}` (TFOpLambda)")),
            "{layer}: {err}"
        );
    }
    // Without --rebuild, the implicit rebuild of a Keras 3 source warns
    // and saves the model unrewritten.
    let o = tfjs(&["convert", s(&corpus("keras3h5_stateful_rnn")), s(&dst)]);
    assert_stderr(&o, 0, "warning: saved without rewriting");
}

/// `dir/src/model.json`: a weightless layers model of `topology`.
fn write_model(dir: &Path, topology: Value) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    let model = serde_json::json!({
        "format": "layers-model", "modelTopology": topology, "weightsManifest": []
    });
    std::fs::write(src.join("model.json"), model.to_string()).unwrap();
    src
}

/// `tfjs convert SRC DST [--rebuild]` fails with exit 2 and writes
/// nothing; its stderr.
fn refused_convert(src: &Path, dst: &Path, rebuild: bool) -> String {
    let mut args = vec!["convert", s(src), s(dst)];
    if rebuild {
        args.push("--rebuild");
    }
    let o = tfjs(&args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!dst.exists());
    err
}

#[test]
fn convert_rebuild_names_lambda_layers_and_unknown_tf_functions_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_model(
        dir.path(),
        serde_json::json!({"class_name": "Functional", "config": {
            "name": "m",
            "layers": [
                {"name": "x", "class_name": "InputLayer", "inbound_nodes": [],
                 "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "x"}},
                {"name": "tf.math.bessel_k0", "class_name": "TFOpLambda",
                 "config": {"name": "tf.math.bessel_k0", "function": "math.bessel_k0"},
                 "inbound_nodes": [[["x", 0, 0, {}]]]},
                {"name": "my_lambda", "class_name": "Lambda",
                 "config": {"name": "my_lambda", "function": ["4wEAAAAA", null, null],
                            "function_type": "lambda"},
                 "inbound_nodes": [[["tf.math.bessel_k0", 0, 0, {}]]]}
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["my_lambda", 0, 0]]
        }}),
    );
    let err = refused_convert(&src, &dir.path().join("dst"), true);
    assert!(err.contains("tf.math.bessel_k0"), "{err}");
    assert!(err.contains("Lambda") && err.contains("my_lambda"), "{err}");
}

/// A Keras 3 model in which masks reach a `Multiply` (Keras 3 takes the
/// masked-out values as 1) and a `Rescaling` (tf_keras drops the mask, but
/// no later layer reads it): `--rebuild` and the tf_keras `.h5` export
/// refuse the merge only; the Keras 3 `.keras` export writes them.
#[test]
fn keras3_masked_merges_are_refused_for_tfjs_and_tf_keras() {
    let dir = tempfile::tempdir().unwrap();
    let layer = |name: &str, class: &str, config: Value, from: &[&str]| {
        let mut config = config;
        config["name"] = name.into();
        let calls: Vec<Value> = from
            .iter()
            .map(|f| serde_json::json!([f, 0, 0, {}]))
            .collect();
        serde_json::json!({"name": name, "class_name": class, "config": config,
                           "inbound_nodes": [calls]})
    };
    let topology = serde_json::json!({"keras_version": "3.15.1", "class_name": "Functional",
    "config": {
        "name": "m",
        "layers": [
            {"name": "x", "class_name": "InputLayer", "inbound_nodes": [],
             "config": {"batch_input_shape": [null, 3, 2], "dtype": "float32", "name": "x"}},
            layer("mask_a", "Masking", serde_json::json!({"mask_value": 0.0}), &["x"]),
            layer("mask_b", "Masking", serde_json::json!({"mask_value": 1.0}), &["x"]),
            layer("product", "Multiply", serde_json::json!({}), &["mask_a", "mask_b"]),
            layer("scale", "Rescaling", serde_json::json!({"scale": 2.0}), &["product"]),
        ],
        "input_layers": [["x", 0, 0]],
        "output_layers": [["scale", 0, 0]]
    }});
    let src = write_model(dir.path(), topology);
    let err = refused_convert(&src, &dir.path().join("dst"), true);
    assert!(err.contains("1 layer without an exact equivalent"), "{err}");
    assert!(
        err.contains("`product` (Multiply): a mask reaches it"),
        "{err}"
    );
    let err = refused_convert(&src, &dir.path().join("m.h5"), false);
    assert!(err.contains("tf_keras 2.21"), "{err}");
    assert!(err.contains("1 layer without an exact equivalent"), "{err}");
    assert!(err.contains("`product` (Multiply)"), "{err}");
    let keras = dir.path().join("m.keras");
    ok(&["convert", s(&src), s(&keras)]);
}
