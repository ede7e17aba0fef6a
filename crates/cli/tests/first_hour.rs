//! What a new user meets in the first hour: `info` shows the signature,
//! `predict` explains wrong inputs and runs on images, `cp`/`mv` never
//! replace a model silently, `verify` catches what `predict` would refuse,
//! `--json` always answers JSON, `ls` hides the server's store and escapes
//! names, broken pipes end quietly, completions and the layers list.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{
    assert_stderr, data, fixture_dirs, fixtures, read_json, s, stdout_of, text, tfjs, tfjs_in,
};

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn ok(o: Output) -> String {
    stdout_of("tfjs", o)
}

fn fixture_with_io_dirs() -> Vec<PathBuf> {
    fixture_dirs(&["model.json", "io.json"])
}

/// Compare a signature entry `[null, d1, …]` with an io.json tensor
/// `[batch, d1, …]` produced by Keras / TF.js.
fn assert_fits(sig: &Value, io: &Value, what: &str) {
    assert_eq!(sig["name"], io["name"], "{what}: name");
    let shape = sig["shape"].as_array().unwrap();
    let io_shape = io["shape"].as_array().unwrap();
    assert_eq!(shape.len(), io_shape.len(), "{what}: rank of {sig} vs {io}");
    assert!(
        shape[0].is_null(),
        "{what}: batch dim should be free: {sig}"
    );
    for (k, (d, e)) in shape.iter().zip(io_shape).enumerate().skip(1) {
        assert!(d.is_null() || d == e, "{what}: dim {k} of {sig} vs {io}");
    }
}

#[test]
fn info_json_shows_the_signature_of_every_fixture() {
    for dir in fixture_with_io_dirs() {
        let o = tfjs(&["--json", "info", s(&dir)]);
        let info: Value = serde_json::from_str(&ok(o)).unwrap();
        let io = read_json(&dir.join("io.json"));
        let name = dir.display().to_string();
        let (inputs, outputs) = (
            info["inputs"].as_array().unwrap(),
            info["outputs"].as_array().unwrap(),
        );
        let io_in = io["inputs"].as_array().unwrap();
        let io_out = io["outputs"].as_array().unwrap();
        assert_eq!(inputs.len(), io_in.len(), "{name}: inputs {inputs:?}");
        assert_eq!(outputs.len(), io_out.len(), "{name}: outputs {outputs:?}");
        for (sig, t) in inputs.iter().zip(io_in) {
            assert_fits(sig, t, &format!("{name} input"));
            assert_eq!(sig["dtype"], t["dtype"], "{name}: input dtype");
        }
        for (sig, t) in outputs.iter().zip(io_out) {
            assert_fits(sig, t, &format!("{name} output"));
            assert_eq!(sig["dtype"], "float32");
        }
        // No fixture starts with a Rescaling/Normalization layer.
        assert_eq!(info["preprocessing"], json!([]), "{name}");
        // The Keras MobileNets (model names `mobilenet_1.00_…`,
        // `mobilenetv2_…`) take -1..1 inputs (their io.json is on that grid).
        let suggested = &info["suggestedPreprocess"]["mode"];
        if name.contains("keras/mobilenet") {
            assert_eq!(suggested, "mobilenet", "{name}");
            let lo = io_in[0]["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap());
            assert!(lo.clone().all(|x| (-1.0..=1.0).contains(&x)), "{name}");
        } else {
            assert!(suggested.is_null(), "{name}: {suggested}");
        }

        let txt = ok(tfjs(&["info", s(&dir)]));
        assert!(txt.contains("inputs:"), "{txt}");
        let first = inputs[0]["name"].as_str().unwrap();
        assert!(
            txt.contains(first),
            "{name}: text lacks input {first}:\n{txt}"
        );
    }
}

#[test]
fn info_shows_graph_model_signatures_with_free_dims_as_null() {
    let dir = fixtures().join("real/emotion");
    let info: Value = serde_json::from_str(&ok(tfjs(&["--json", "info", s(&dir)]))).unwrap();
    assert_eq!(
        info["inputs"],
        json!([{"name": "input_1:0", "shape": [null, 64, 64, 1], "dtype": "float32"}])
    );
    assert_eq!(
        info["outputs"],
        json!([{"name": "Identity:0", "shape": [null, 7], "dtype": "float32"}])
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn file_router() -> tfjs_io::Router {
    let mut r = tfjs_io::Router::new();
    r.register(std::sync::Arc::new(tfjs_io::file::FileStore::new()));
    r
}

/// A Sequential with Rescaling(1/255) first, saved as TF.js files.
fn save_rescaling_model(dir: &Path) {
    use tfjs_layers::{builder::Sequential, LayerRegistry};
    let r = LayerRegistry::with_builtins();
    let model = Sequential::new()
        .input_shape(&[6, 6, 3])
        .add(
            r.create(
                "Rescaling",
                json!({"scale": 0.00392156862745098, "offset": 0.0}),
            )
            .unwrap(),
        )
        .add(r.create("Flatten", json!({})).unwrap())
        .add(
            r.create("Dense", json!({"units": 4, "activation": "softmax"}))
                .unwrap(),
        )
        .build(7)
        .unwrap();
    runtime()
        .block_on(model.save(&file_router(), &format!("file://{}", dir.display())))
        .unwrap();
}

#[test]
fn info_names_the_preprocessing_layers_a_model_starts_with() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    save_rescaling_model(&dir);
    let info: Value = serde_json::from_str(&ok(tfjs(&["--json", "info", s(&dir)]))).unwrap();
    let pre = info["preprocessing"].as_array().unwrap();
    assert_eq!(pre.len(), 1, "{pre:?}");
    assert_eq!(pre[0]["className"], "Rescaling");
    assert!(
        pre[0]["computes"]
            .as_str()
            .unwrap()
            .starts_with("x * 0.00392156862745098 + 0"),
        "{pre:?}"
    );
    assert_eq!(info["inputs"][0]["shape"], json!([null, 6, 6, 3]));
    let txt = ok(tfjs(&["info", s(&dir)]));
    assert!(txt.contains("Rescaling: x * 0.00392156862745098"), "{txt}");
}

/// Run predict on a modified io.json and return the error text.
fn predict_error(model: &Path, io: &Value) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("io.json");
    std::fs::write(&f, io.to_string()).unwrap();
    let o = tfjs(&["predict", s(model), "--inputs", s(&f)]);
    assert_eq!(code(&o), Some(2), "accepted {io}: {}", text(&o.stdout));
    text(&o.stderr)
}

#[test]
fn predict_refuses_bad_inputs_naming_the_field_and_the_signature() {
    let mlp = fixtures().join("tfjs/mlp");
    let io = read_json(&mlp.join("io.json"));
    let expects = "the model expects 1 input(s): `dense_1_input` [null,8] float32";
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "unknown name",
            Box::new(|v| v["inputs"][0]["name"] = json!("nope")),
            "`inputs[0].name`: `nope` is not an input of the model",
        ),
        (
            "Keras 3 tensor name",
            Box::new(|v| v["inputs"][0]["name"] = json!("keras_tensor_4")),
            "`keras_tensor_4` is not an input of the model (that is a Keras 3 tensor name; \
             inputs are named by their InputLayer",
        ),
        (
            "extra input",
            Box::new(|v| {
                let mut extra = v["inputs"][0].clone();
                extra["name"] = json!("more");
                v["inputs"].as_array_mut().unwrap().push(extra);
            }),
            "`inputs[1].name`: `more` is not an input of the model",
        ),
        (
            "dtype float7",
            Box::new(|v| v["inputs"][0]["dtype"] = json!("float7")),
            "`inputs[0].dtype`: \"float7\" is not a dtype",
        ),
        (
            "dtype string",
            Box::new(|v| v["inputs"][0]["dtype"] = json!("string")),
            "`inputs[0].dtype`: string given, input `dense_1_input` is float32",
        ),
        (
            "null in data",
            Box::new(|v| v["inputs"][0]["data"][5] = Value::Null),
            "`inputs[0].data[5]`: null is not a number",
        ),
        (
            "wrong shape",
            Box::new(|v| {
                v["inputs"][0]["shape"] = json!([4, 6]);
            }),
            "`inputs[0].shape`: [4, 6] does not fit input `dense_1_input` of shape [null,8]",
        ),
    ];
    for (what, change, want) in cases {
        let mut v = io.clone();
        change(&mut v);
        let err = predict_error(&mlp, &v);
        assert!(err.contains(want), "{what}: {err}");
        assert!(err.contains(expects), "{what}: {err}");
    }
    // Unnamed extra entries are refused by position.
    let mut v = io.clone();
    v["inputs"][0].as_object_mut().unwrap().remove("name");
    let extra = v["inputs"][0].clone();
    v["inputs"].as_array_mut().unwrap().push(extra);
    let err = predict_error(&mlp, &v);
    assert!(
        err.contains("`inputs[1]`: 2 entries given, the model has 1 input(s)"),
        "{err}"
    );

    // 2.5 in an int32 input (the token ids of text_rnn).
    let rnn = fixtures().join("keras/text_rnn");
    let mut v = read_json(&rnn.join("io.json"));
    v["inputs"][0]["data"][3] = json!(2.5);
    let err = predict_error(&rnn, &v);
    assert!(
        err.contains("`inputs[0].data[3]`: 2.5 is not an int32"),
        "{err}"
    );
    assert!(err.contains("`tokens` [null,20] int32"), "{err}");
}

#[test]
fn predict_on_the_unchanged_fixture_inputs_still_passes_the_check() {
    for dir in fixture_with_io_dirs() {
        let io = dir.join("io.json");
        ok(tfjs(&["predict", s(&dir), "--inputs", s(&io), "--check"]));
    }
}

#[test]
fn predict_on_images_runs_the_keras_pipeline_and_prints_top_k() {
    use tfjs_cli::image_input::{image_batch, Preprocess};
    let model_dir = fixtures().join("keras/mobilenet_v2");
    let png = data().join("test.png");
    let jpg = data().join("test.jpg");
    let tmp = tempfile::tempdir().unwrap();
    let labels = tmp.path().join("labels.txt");
    let names: Vec<String> = (0..100).map(|i| format!("class-{i}")).collect();
    std::fs::write(&labels, names.join("\n")).unwrap();
    let o = tfjs(&[
        "--json",
        "predict",
        s(&model_dir),
        "--image",
        s(&png),
        "--image",
        s(&jpg),
        "--preprocess",
        "mobilenet",
        "--top-k",
        "3",
        "--labels",
        s(&labels),
    ]);
    let out: Value = serde_json::from_str(&ok(o)).unwrap();
    let top = out["topK"].as_array().unwrap();
    assert_eq!(top.len(), 2);

    // The same numbers through the library: decode, resize to the model's
    // 96x96, Keras "tf" mode, predict.
    let rt = runtime();
    let model = rt
        .block_on(tfjs_layers::Model::load(
            &file_router(),
            &format!("file://{}", model_dir.display()),
            &Default::default(),
        ))
        .unwrap();
    let x = image_batch(&[&png, &jpg], 96, 96, 3, Preprocess::Mobilenet, "float32").unwrap();
    let y = model.predict(&[x]).unwrap()[0].to_f32().into_owned();
    for (i, t) in top.iter().enumerate() {
        let row = &y[i * 100..(i + 1) * 100];
        let best = tfjs_cli::image_input::top_k(row, 3);
        let classes = t["classes"].as_array().unwrap();
        assert_eq!(classes.len(), 3);
        for (c, (k, p)) in classes.iter().zip(best) {
            assert_eq!(c["index"], json!(k));
            assert_eq!(c["label"], json!(format!("class-{k}")));
            assert!((c["score"].as_f64().unwrap() - p as f64).abs() < 1e-6);
        }
        let scores: Vec<f64> = classes
            .iter()
            .map(|c| c["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    }
    let txt = ok(tfjs(&[
        "predict",
        s(&model_dir),
        "--image",
        s(&png),
        "--preprocess",
        "mobilenet",
        "--top-k",
        "2",
        "--labels",
        s(&labels),
    ]));
    assert!(txt.contains("test.png") && txt.contains("class-"), "{txt}");

    // A model with a free image size needs --resize; a bad size is refused.
    let o = tfjs(&[
        "predict",
        s(&model_dir),
        "--image",
        s(&png),
        "--resize",
        "96",
    ]);
    assert_stderr(&o, 2, "expected WIDTHxHEIGHT");
}

#[test]
fn cp_and_mv_refuse_to_replace_a_model_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    let mlp = fixtures().join("tfjs/mlp");
    let cnn = fixtures().join("tfjs/cnn");
    let run = |args: &[&str]| tfjs_in(Some(&profile), args);
    ok(run(&["cp", s(&mlp), "localstorage://m"]));
    let o = run(&["cp", s(&cnn), "localstorage://m"]);
    assert_eq!(code(&o), Some(2), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("localstorage://m already holds a model; pass --force"),
        "{}",
        text(&o.stderr)
    );
    // Still the mlp.
    let info: Value =
        serde_json::from_str(&ok(run(&["--json", "info", "localstorage://m"]))).unwrap();
    assert_eq!(info["inputs"][0]["name"], "dense_1_input");
    let txt = ok(run(&["cp", "--force", s(&cnn), "localstorage://m"]));
    assert!(txt.contains("replaced"), "{txt}");
    let info: Value =
        serde_json::from_str(&ok(run(&["--json", "info", "localstorage://m"]))).unwrap();
    assert_ne!(info["inputs"][0]["name"], "dense_1_input");

    // file:// destination, and mv.
    let dst = tmp.path().join("out");
    ok(run(&["cp", s(&mlp), s(&dst)]));
    let o = run(&["mv", "localstorage://m", s(&dst)]);
    assert_stderr(&o, 2, "already holds a model");
    // The source is untouched by the refused move.
    ok(run(&["info", "localstorage://m"]));
    let txt = ok(run(&["mv", "-f", "localstorage://m", s(&dst)]));
    assert!(txt.contains("replaced"), "{txt}");
    let o = run(&["--json", "cp", s(&mlp), "indexeddb://fresh"]);
    let v: Value = serde_json::from_str(&ok(o)).unwrap();
    assert_eq!(v["replaced"], false);
}

fn copy_fixture(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// A copy of the tfjs `mlp` fixture in `tmp/m` whose model.json `edit` changed.
fn edited_mlp(tmp: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let dir = tmp.join("m");
    copy_fixture(&fixtures().join("tfjs/mlp"), &dir);
    let mj = dir.join("model.json");
    let mut v = read_json(&mj);
    edit(&mut v);
    std::fs::write(&mj, v.to_string()).unwrap();
    dir
}

#[test]
fn verify_reports_every_unknown_layer_class() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = edited_mlp(tmp.path(), |v| {
        let layers = v["modelTopology"]["config"]["layers"]
            .as_array_mut()
            .unwrap();
        layers[0]["class_name"] = json!("MyDense");
        let last = layers.len() - 1;
        layers[last]["class_name"] = json!("FancyHead");
    });
    let o = tfjs(&["verify", s(&dir)]);
    assert_eq!(code(&o), Some(1), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(out.contains("Unknown layer classes: MyDense"), "{out}");
    assert!(out.contains("FancyHead"), "{out}");
    let j: Value =
        serde_json::from_str(&text(&tfjs(&["--json", "verify", s(&dir)]).stdout)).unwrap();
    assert_eq!(j["ok"], false);
    let msgs = j["problems"].to_string();
    for class in ["MyDense", "FancyHead"] {
        assert!(msgs.contains(class), "{msgs}");
    }
}

#[test]
fn verify_reports_weights_the_engine_refuses() {
    // A weight whose shape does not match the layer: the files are fine
    // (lengths agree), but predict would fail.
    let tmp = tempfile::tempdir().unwrap();
    let dir = edited_mlp(tmp.path(), |v| {
        let w = &mut v["weightsManifest"][0]["weights"][0];
        let shape = w["shape"].as_array().unwrap().clone();
        w["shape"] = json!([shape[1], shape[0]]);
    });
    let o = tfjs(&["verify", s(&dir)]);
    assert_eq!(code(&o), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("(layers engine)"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn verify_recognises_graph_models() {
    let dir = fixtures().join("real/emotion");
    let out = ok(tfjs(&["verify", s(&dir)]));
    assert!(out.contains("graph model"), "{out}");
    assert!(out.contains("_FusedConv2D 9"), "{out}");
    assert!(out.contains("the graph engine loads it"), "{out}");
    let j: Value = serde_json::from_str(&ok(tfjs(&["--json", "verify", s(&dir)]))).unwrap();
    assert_eq!(j["format"], "graph-model");
    // The op counts are those of model.json's node list.
    let mj = read_json(&dir.join("model.json"));
    let mut want = serde_json::Map::new();
    for n in mj["modelTopology"]["node"].as_array().unwrap() {
        let op = n["op"].as_str().unwrap().to_string();
        let c = want.get(&op).and_then(Value::as_u64).unwrap_or(0);
        want.insert(op, json!(c + 1));
    }
    assert_eq!(j["graph"]["ops"], Value::Object(want));
}

#[test]
fn missing_paths_exit_2_and_json_errors_are_json_on_stdout() {
    let o = tfjs(&["verify", "/nonexistent/model"]);
    assert_stderr(&o, 2, "/nonexistent/model");
    for args in [
        vec!["--json", "verify", "/nonexistent/model"],
        vec!["--json", "info", "/nonexistent/model"],
        vec![
            "--json",
            "predict",
            "/nonexistent/model",
            "--inputs",
            "x.json",
        ],
        vec!["--json", "cp", "/nonexistent/a", "/nonexistent/b"],
        vec!["--json", "info"],
    ] {
        let o = tfjs(&args);
        assert_eq!(code(&o), Some(2), "{args:?}");
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {}", text(&o.stdout)));
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{args:?}: {v}"
        );
    }
}

#[test]
fn ls_hides_the_serve_store_and_escapes_control_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path();
    let mlp = fixtures().join("tfjs/mlp");
    let run = |args: &[&str]| tfjs_in(Some(profile), args);
    ok(run(&["cp", s(&mlp), "indexeddb://tfjs-serve/m/v1"]));
    ok(run(&["cp", s(&mlp), "indexeddb://mine"]));
    ok(run(&[
        "cp",
        s(&mlp),
        "localstorage://evil\u{1b}]0;pwned\u{7}\u{1b}[2J",
    ]));
    let o = run(&["ls"]);
    let out = ok(o);
    assert!(out.contains("indexeddb://mine"), "{out}");
    assert!(!out.contains("tfjs-serve"), "{out}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}'),
        "raw control chars: {out:?}"
    );
    assert!(out.contains("evil\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"), "{out}");
    let evil = "localstorage://evil\u{1b}]0;pwned\u{7}\u{1b}[2J";
    let removed = ok(run(&["rm", evil]));
    assert!(
        !removed.contains('\u{1b}'),
        "raw control chars: {removed:?}"
    );
    assert!(removed.contains("evil\\u{1b}]0;pwned"), "{removed}");
    let all = ok(run(&["ls", "--all"]));
    assert!(all.contains("indexeddb://tfjs-serve/m/v1"), "{all}");
    let j: Value = serde_json::from_str(&ok(run(&["--json", "ls"]))).unwrap();
    assert!(j.get("indexeddb://mine").is_some() && j.get("indexeddb://tfjs-serve/m/v1").is_none());
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mlp = fixtures().join("tfjs/mlp");
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path();
    ok(tfjs_in(Some(profile), &["cp", s(&mlp), "localstorage://m"]));
    // `demo` works in a temporary profile under $TMPDIR: it must be gone
    // after a closed stdout too.
    let tmpdir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--json", "info", s(&mlp)],
        vec!["info", s(&mlp)],
        vec!["export-localstorage", "localstorage://m"],
        vec!["layers"],
        vec!["demo"],
        vec!["--json", "demo"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tfjs"))
            .arg("--profile")
            .arg(profile)
            .env("TMPDIR", tmpdir.path())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the command writes anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = text(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert!(
                o.status.success() || o.status.signal() == Some(libc_sigpipe()),
                "{args:?}: {:?}",
                o.status
            );
        }
        let left: Vec<_> = std::fs::read_dir(tmpdir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{args:?} left {left:?} in $TMPDIR");
    }
}

#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}

#[test]
fn completions_cover_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = ok(tfjs(&["completions", shell]));
        for cmd in ["predict", "verify", "completions", "ls"] {
            assert!(out.contains(cmd), "{shell} lacks {cmd}");
        }
    }
}

#[test]
fn readme_supported_layers_section_matches_the_registry() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let (start, end) = ("<!-- layers:start -->\n", "<!-- layers:end -->");
    let a = readme
        .find(start)
        .expect("README lacks <!-- layers:start -->")
        + start.len();
    let b = readme[a..]
        .find(end)
        .expect("README lacks <!-- layers:end -->")
        + a;
    let generated = ok(tfjs(&["layers", "--markdown"]));
    assert_eq!(
        &readme[a..b],
        generated,
        "README's supported-layers section is stale: replace it with `tfjs layers --markdown`"
    );
    let classes: Vec<String> = serde_json::from_str(&ok(tfjs(&["--json", "layers"]))).unwrap();
    assert!(
        classes.iter().any(|c| c == "Dense") && classes.len() > 40,
        "{classes:?}"
    );
}

/// A float32 C-order .npy file.
fn npy_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_txt}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

#[test]
fn predict_checks_npy_inputs_against_the_signature() {
    let mlp = fixtures().join("tfjs/mlp");
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.npy");
    std::fs::write(&good, npy_f32(&[2, 8], &[0.25; 16])).unwrap();
    let out: Value = serde_json::from_str(&ok(tfjs(&[
        "--json",
        "predict",
        s(&mlp),
        "--inputs",
        s(&good),
    ])))
    .unwrap();
    assert_eq!(out["outputs"][0]["shape"], json!([2, 4]));

    let bad = tmp.path().join("bad.npy");
    std::fs::write(&bad, npy_f32(&[2, 5], &[0.25; 10])).unwrap();
    let o = tfjs(&["predict", s(&mlp), "--inputs", s(&bad)]);
    assert_eq!(code(&o), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("bad.npy: [2, 5] does not fit input `dense_1_input` of shape [null,8]"),
        "{err}"
    );
    assert!(err.contains("the model expects 1 input(s)"), "{err}");

    let o = tfjs(&["predict", s(&mlp), "--inputs", s(&good), s(&good)]);
    assert_stderr(&o, 2, "2 .npy file(s) given; the model expects 1 input(s)");
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let model = fixtures().join("keras/mobilenet_v2");
    // On a pseudo-terminal (util-linux `script`, in Debian's essential
    // bsdutils): a spinner naming the work.
    let cmd = format!(
        "{} --profile {} cp {} indexeddb://tty",
        env!("CARGO_BIN_EXE_tfjs"),
        tmp.path().display(),
        model.display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("run script(1)");
    let tty = text(&o.stdout);
    assert!(tty.contains("copying file://"), "{tty:?}");
    assert!(tty.contains("copied file://"), "{tty:?}");
    // Piped: no spinner, stderr stays clean.
    let o = tfjs_in(Some(tmp.path()), &["cp", s(&model), "indexeddb://pipe"]);
    assert!(text(&o.stderr).is_empty(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("copying"), "{}", text(&o.stdout));
}
