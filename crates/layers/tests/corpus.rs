//! The Keras corpus (`fixtures/corpus/keras`, made by
//! `tools/corpus/gen_keras.py` with Keras and the official converter): every
//! model either reproduces Keras's outputs in its io.json within tolerance,
//! or is listed in `fixtures/corpus/keras/EXPECTED_FAILURES` and fails to
//! load (or to run) with an error naming the class or function the engine
//! lacks. A listed model that starts passing fails the test too, so the list
//! only shrinks as the engine grows.

mod common;

use common::{check_model, load_fixture};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tfjs_layers::io_json::IoJson;

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus/keras")
}

/// One `EXPECTED_FAILURES` line: `<fixture> | <needle> | <reason>`; the
/// error must contain `needle` (the unsupported class or function).
struct Expected {
    needle: String,
    reason: String,
}

fn expected_failures(root: &Path) -> BTreeMap<String, Expected> {
    let path = root.join("EXPECTED_FAILURES");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        let [name, needle, reason] = parts[..] else {
            panic!(
                "{}:{}: expected `<fixture> | <needle> | <reason>`",
                path.display(),
                n + 1
            );
        };
        assert!(
            !name.is_empty() && !needle.is_empty() && !reason.is_empty(),
            "{}:{}: empty fixture, needle or reason",
            path.display(),
            n + 1
        );
        let prev = out.insert(
            name.to_string(),
            Expected {
                needle: needle.to_string(),
                reason: reason.to_string(),
            },
        );
        assert!(prev.is_none(), "{}: `{name}` listed twice", path.display());
    }
    out
}

fn corpus_dirs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.json").is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), p))
        .collect();
    dirs.sort();
    dirs
}

fn read_io(dir: &Path) -> Result<IoJson, String> {
    let p = dir.join("io.json");
    let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    IoJson::parse(&bytes, &p.display().to_string()).map_err(|e| e.to_string())
}

/// Load and run one fixture: `Ok(max abs error)` or the first error.
/// A model that reproduces Keras must do so again after a re-save through
/// the engine (`Model::to_artifacts`, what `tfjs convert` writes for Keras 3
/// models) and a reload.
fn run(dir: &Path) -> Result<f64, String> {
    let model = load_fixture(dir)?;
    let io = read_io(dir)?;
    let err = check_model(&model, &io)?;
    let resaved = model.to_artifacts().map_err(|e| format!("re-save: {e}"))?;
    let reloaded =
        tfjs_layers::Model::from_artifacts(&resaved, &tfjs_layers::LoadOptions::default())
            .map_err(|e| format!("reload after re-save: {e}"))?;
    check_model(&reloaded, &io).map_err(|e| format!("after re-save: {e}"))?;
    Ok(err)
}

#[test]
fn keras_corpus_matches_keras_or_fails_as_expected() {
    let root = corpus_root();
    let expected = expected_failures(&root);
    let dirs = corpus_dirs(&root);
    for name in expected.keys() {
        assert!(
            dirs.iter().any(|(n, _)| n == name),
            "EXPECTED_FAILURES lists `{name}`, which is not a corpus model"
        );
    }
    let mut problems = Vec::new();
    let (mut passed, mut failed_as_expected) = (Vec::new(), Vec::new());
    for (name, dir) in &dirs {
        let result = run(dir);
        match (expected.get(name), result) {
            (None, Ok(err)) => passed.push(format!("{name} (max abs error {err:.2e})")),
            (None, Err(e)) => problems.push(format!("{name}: {e}")),
            (Some(x), Ok(_)) => problems.push(format!(
                "{name} now reproduces Keras: remove it from EXPECTED_FAILURES ({})",
                x.reason
            )),
            (Some(x), Err(e)) if e.contains(&x.needle) => {
                failed_as_expected.push(format!("{name}: {}", x.needle))
            }
            (Some(x), Err(e)) => problems.push(format!(
                "{name}: expected an error naming `{}` ({}), got: {e}",
                x.needle, x.reason
            )),
        }
    }
    eprintln!("{} corpus models reproduce Keras:", passed.len());
    for p in &passed {
        eprintln!("  {p}");
    }
    eprintln!(
        "{} fail as listed in EXPECTED_FAILURES:",
        failed_as_expected.len()
    );
    for p in &failed_as_expected {
        eprintln!("  {p}");
    }
    assert!(
        dirs.len() >= 30,
        "expected at least 30 corpus models in {}, found {}",
        root.display(),
        dirs.len()
    );
    assert!(
        problems.is_empty(),
        "{} of {} corpus models are wrong:\n{}",
        problems.len(),
        dirs.len(),
        problems.join("\n")
    );
}

/// index.json describes exactly the models on disk, and every graph model's
/// io.json (TensorFlow's outputs, read by the graph executor's tests) parses.
#[test]
fn corpus_index_lists_every_model() {
    let corpus = corpus_root().join("..");
    let path = corpus.join("index.json");
    let index: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for kind in ["keras", "graph"] {
        let listed = index[kind]
            .as_object()
            .unwrap_or_else(|| panic!("{}: `{kind}` must be an object", path.display()));
        let on_disk: Vec<String> = corpus_dirs(&corpus.join(kind))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let listed_names: Vec<String> = listed.keys().cloned().collect();
        let mut sorted = listed_names.clone();
        sorted.sort();
        assert_eq!(
            sorted, on_disk,
            "index.json `{kind}` vs {kind}/ directories"
        );
        for (name, entry) in listed {
            for key in ["source", "converter_command", "size_bytes", "tolerance"] {
                assert!(
                    !entry[key].is_null(),
                    "index.json {kind}/{name} has no `{key}`"
                );
            }
        }
    }
    let graphs = corpus_dirs(&corpus.join("graph"));
    assert!(graphs.len() >= 5, "expected the 5 graph models");
    for (name, dir) in graphs {
        let io = read_io(&dir).unwrap_or_else(|e| panic!("graph/{name}: {e}"));
        assert!(
            !io.inputs.is_empty() && !io.outputs.is_empty(),
            "graph/{name}: io.json without inputs or outputs"
        );
    }
}

/// Rows `rows` of `t` (a batch-major tensor), in that order.
fn batch_rows(t: &tfjs_layers::Tensor, rows: &[usize]) -> tfjs_layers::Tensor {
    use tfjs_layers::{Tensor, TensorData};
    let mut shape = t.shape().to_vec();
    let per: usize = shape[1..].iter().product();
    shape[0] = rows.len();
    let pick = || rows.iter().flat_map(move |&r| r * per..(r + 1) * per);
    match t.data() {
        TensorData::F32(v) => Tensor::from_f32(shape, pick().map(|i| v[i]).collect()),
        TensorData::I32(v) => Tensor::from_i32(shape, pick().map(|i| v[i]).collect()),
        TensorData::Str(v) => Tensor::from_strings(shape, pick().map(|i| v[i].clone()).collect()),
    }
    .unwrap()
}

/// Layers that say they are per-sample let the engine run a large batch
/// as parallel slices: every sample of a batch must then come out with
/// exactly the bits it has when run alone, whichever way the engine takes
/// (its first predicts at a batch size time whole batches and slices both,
/// so 24 predicts take both). Masked, bidirectional, stacked and cuDNN
/// recurrent layers; tf_keras `TFOpLambda` / `SlicingOpLambda` and Keras 3
/// operations along axes from 1 on (a ViT's class token and positions).
#[test]
fn per_sample_models_compute_each_sample_as_alone() {
    let root = corpus_root();
    for name in [
        "birnn_masked",
        "masked_lstm_classifier",
        "stacked_rnn",
        "cudnn_lstm",
        "cudnn_gru",
        "crnn_ocr",
        "vit_tiny",
        "keras3zip_vit_tiny",
        "keras3zip_k3_ops_math",
        "keras3zip_k3_ops_nn",
        "keras3zip_k3_ops_more",
        "keras3zip_keras3_ops",
        "keras3zip_shape_merge_ops",
        "tfop_arith",
        "tfop_math",
        "tfop_extra",
        "tfop_cnn",
    ] {
        let dir = root.join(name);
        let model = load_fixture(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let io = common::read_io(&dir);
        let inputs = io.inputs_for(&model.input_names()).unwrap();
        let n = inputs[0].shape()[0];
        // 24 rows cycling through the fixture's samples.
        let rows: Vec<usize> = (0..24).map(|i| i % n).collect();
        let batch: Vec<_> = inputs.iter().map(|t| batch_rows(t, &rows)).collect();
        let alone: Vec<Vec<tfjs_layers::Tensor>> = (0..n)
            .map(|r| {
                let one: Vec<_> = inputs.iter().map(|t| batch_rows(t, &[r])).collect();
                model.predict(&one).unwrap()
            })
            .collect();
        for call in 0..24 {
            let outs = model.predict(&batch).unwrap();
            for (o, out) in outs.iter().enumerate() {
                for (i, &r) in rows.iter().enumerate() {
                    let got = batch_rows(out, &[i]);
                    let want = &alone[r][o];
                    let bits = |t: &tfjs_layers::Tensor| -> Vec<u32> {
                        t.to_f32().iter().map(|v| v.to_bits()).collect()
                    };
                    assert_eq!(
                        bits(&got),
                        bits(want),
                        "{name}: predict #{call}, output {o}, row {i} (sample {r}) differs from the sample run alone"
                    );
                }
            }
        }
    }
}
