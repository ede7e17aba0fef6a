//! Keras files straight from the command line, over the whole generated
//! corpus (`fixtures/corpus`, made by real Keras and the official converter;
//! `tools/corpus/README.md`): `tfjs convert model.h5` writes exactly what
//! the converter wrote, and `tfjs predict` runs `.h5` and `.keras` files
//! directly and reproduces Keras's outputs.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus")
}

fn tfjs(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tfjs"))
        .args(args)
        .output()
        .expect("run tfjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

/// `(fixture, source file)` of every corpus model made from a Keras file.
fn sources() -> Vec<(String, PathBuf)> {
    let index: Value =
        serde_json::from_slice(&std::fs::read(corpus().join("index.json")).unwrap()).unwrap();
    let models = index["keras"].as_object().expect("index.json: keras");
    let mut out: Vec<(String, PathBuf)> = models
        .iter()
        .filter_map(|(name, m)| Some((name.clone(), corpus().join(m["source_file"].as_str()?))))
        // The held-out group's sources are not committed (size).
        .filter(|(_, src)| src.exists())
        .collect();
    out.sort();
    let n = out.len();
    assert!(n >= 60, "the corpus lists {n} Keras sources");
    out
}

/// Corpus models the engine does not run yet, with why
/// (`fixtures/corpus/keras/EXPECTED_FAILURES`).
fn expected_failures() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(corpus().join("keras/EXPECTED_FAILURES")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split('|').map(str::trim);
            let name = parts.next().unwrap_or("").to_string();
            let needle = parts.next().unwrap_or("").to_string();
            (name, needle)
        })
        .collect()
}

#[test]
fn every_corpus_h5_converts_byte_for_byte_like_the_converter() {
    // Keras 2 (tf_keras) files and Keras 3's legacy HDF5 files, whose
    // operation nodes (`x + y`, `ops.*`) have no weight group.
    let out = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (name, src) in sources() {
        if src.extension().and_then(|e| e.to_str()) != Some("h5") {
            continue;
        }
        let dst = out.path().join(&name);
        let (ok, text) = tfjs(&["convert", src.to_str().unwrap(), dst.to_str().unwrap()]);
        assert!(ok, "{name}: convert failed: {text}");
        let expected = corpus().join("keras").join(&name);
        for entry in std::fs::read_dir(&expected).unwrap() {
            let file = entry.unwrap().file_name();
            if file == "io.json" {
                continue;
            }
            assert!(
                std::fs::read(dst.join(&file)).ok() == std::fs::read(expected.join(&file)).ok(),
                "{name}: {} differs from the converter's",
                file.to_string_lossy()
            );
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} .h5 sources");
}

#[test]
fn predict_runs_keras_files_directly_and_reproduces_keras() {
    let failures = expected_failures();
    for (name, src) in sources() {
        let io = corpus().join("keras").join(&name).join("io.json");
        let (ok, text) = tfjs(&[
            "predict",
            src.to_str().unwrap(),
            "--inputs",
            io.to_str().unwrap(),
            "--check",
        ]);
        match failures.iter().find(|(n, _)| *n == name) {
            Some((_, needle)) => assert!(
                !ok && text.contains(needle.as_str()),
                "{name}: expected to fail with {needle:?}: {text}"
            ),
            None => assert!(
                ok && text.contains("check ok"),
                "{name} ({}): {text}",
                src.display()
            ),
        }
    }
}

/// `tfjs predict tests/data/<name>/model.keras --check` against its
/// io.json: passes, and its output (with the importer's notes).
fn predict_checked(name: &str) -> String {
    predict_checked_file(name, "model.keras", "io.json")
}

/// `tfjs predict tests/data/<name>/<model> --inputs <io> --check`: passes,
/// and its output.
fn predict_checked_file(name: &str, model: &str, io: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let (ok, text) = tfjs(&[
        "predict",
        dir.join(model).to_str().unwrap(),
        "--inputs",
        dir.join(io).to_str().unwrap(),
        "--check",
    ]);
    assert!(ok && text.contains("check ok"), "{name}/{model}: {text}");
    text
}

#[test]
fn adapted_lookup_vocabularies_are_read_from_keras_assets() {
    // Keras 3 keeps an adapted lookup's vocabulary in the archive's assets,
    // not in the config (`tests/data/adapted_lookups/gen.py`); the converter
    // drops it. Two StringLookups (numbered paths, a mask token, 2 OOV
    // buckets, count mode), an IntegerLookup and a TextVectorization.
    let text = predict_checked("adapted_lookups");
    // Entries as Keras lists them: the reserved tokens (the mask in int
    // mode, the OOV buckets) first; the lookup drops them when it reads.
    for (layer, n) in [
        ("words_a", 4),
        ("words_b", 6),
        ("codes", 4),
        ("sentences", 11),
    ] {
        assert!(
            text.contains(&format!("layer `{layer}`"))
                && text.contains(&format!("vocabulary of {n} entries")),
            "{layer}: {text}"
        );
    }
}

#[test]
fn adapted_tf_idf_weights_are_read_from_keras_variables() {
    // An adapted TF-IDF lookup keeps its vocabulary in the archive's assets
    // and its idf weights in its variables (`vars/idf_weights`; a
    // TextVectorization's inner StringLookup saves them again), with
    // `vocabulary` and `idf_weights` null in the config
    // (`tests/data/adapted_tfidf/gen.py`): a TextVectorization with bigrams,
    // a StringLookup and an IntegerLookup padded to max_tokens (8 weights,
    // its 6 entries' read into the config).
    let text = predict_checked("adapted_tfidf");
    for (layer, path, n) in [
        ("sentences", "text_vectorization", 12),
        ("word_idf", "string_lookup", 5),
        ("code_idf", "integer_lookup", 6),
    ] {
        let note = format!("layer `{layer}`");
        let read = format!("{n} idf weights read from layers/{path}/vars/idf_weights");
        assert!(
            text.lines().any(|l| l.contains(&note) && l.contains(&read)),
            "{layer}: {text}"
        );
    }
}

#[test]
fn norms_with_infinite_ord_are_read_from_keras_configs() {
    // Keras writes `ord=np.inf` as the bare `Infinity` Python's `json`
    // reads (`tests/data/norm_inf/gen.py`): Keras 3's ops.norm inf / -inf
    // over one and two axes in a `.keras` config.json, tf_keras's
    // tf.norm(ord=np.inf) in an HDF5 `model_config`.
    let text = predict_checked("norm_inf");
    assert!(text.contains("norm_4"), "{text}");
    let text = predict_checked_file("norm_inf", "model.h5", "io_h5.json");
    assert!(text.contains("tf.compat.v1.norm_1"), "{text}");
}
