//! Every real published graph model in `../shared/fixtures/real` reproduces
//! TensorFlow.js 4.22's outputs (cpu backend) for the fixture's seeded inputs,
//! within the fixture's tolerance; so does every SavedModel-converted graph
//! model of the repo's own corpus (`fixtures/corpus/graph`, outputs by
//! TensorFlow 2.21).

use std::path::{Path, PathBuf};
use tfjs_graph::{GraphModel, Tensor};
use tfjs_layers::io_json::{compare, IoJson};

fn real_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/real")
}

fn graph_fixtures() -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(real_dir().join("index.json")).expect("index.json"))
            .expect("index.json parses");
    index["fixtures"]
        .as_array()
        .expect("fixtures list")
        .iter()
        .filter(|f| f["format"] == "graph-model")
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect()
}

fn check(name: &str) {
    check_dir(name, &real_dir().join(name));
}

/// The SavedModel-converted corpus in `fixtures/corpus/graph` (outputs by
/// TensorFlow itself, keyed by signature name).
fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus/graph")
}

fn check_dir(name: &str, dir: &Path) {
    let artifacts = tfjs_io::file::load_path(dir).unwrap_or_else(|e| panic!("{name}: {e}"));
    let model = GraphModel::from_artifacts(&artifacts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let io = IoJson::parse(&std::fs::read(dir.join("io.json")).unwrap(), "io.json").unwrap();
    let feeds: Vec<(&str, Tensor)> = io
        .inputs
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                Tensor::from_layers(&t.to_tensor().unwrap()).unwrap(),
            )
        })
        .collect();
    let (reference, tol) = io.reference();
    let names: Vec<&str> = reference.iter().map(|t| t.name.as_str()).collect();
    let t0 = std::time::Instant::now();
    let out = model
        .execute(&feeds, &names)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let actual: Vec<tfjs_layers::Tensor> = out.iter().map(Tensor::to_layers).collect();
    let c = compare(&actual, reference, tol, 5);
    eprintln!(
        "{name}: max abs error {:.3e} in {:?}",
        c.max_abs_err,
        t0.elapsed()
    );
    assert!(
        c.passed(),
        "{name}: {} element(s) out of tolerance, problems {:?}, worst {:?}",
        c.failures,
        c.problems,
        c.worst
    );
}

macro_rules! fixture_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(#[test] fn $test() { check($name); })*

        #[test]
        fn every_graph_fixture_has_a_test() {
            let covered = [$($name),*];
            for f in graph_fixtures() {
                assert!(covered.contains(&f.as_str()), "fixture `{f}` has no test here");
            }
        }
    };
}

fixture_tests! {
    blazeface_front => "blazeface-front",
    facemesh => "facemesh",
    emotion => "emotion",
    movenet_lightning => "movenet-lightning",
    handtrack => "handtrack",
    selfie => "selfie",
    posenet => "posenet",
    nsfw_mobilenet_v2_mid => "nsfw-mobilenet-v2-mid",
    ssrnet_age => "ssrnet-age",
    facemesh_detection_short => "facemesh-detection-short",
}

macro_rules! corpus_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(#[test] fn $test() { check_dir($name, &corpus_dir().join($name)); })*

        #[test]
        fn every_corpus_graph_model_has_a_test() {
            let covered = [$($name),*];
            for e in std::fs::read_dir(corpus_dir()).unwrap() {
                let e = e.unwrap();
                if e.path().join("model.json").exists() {
                    let f = e.file_name().to_string_lossy().into_owned();
                    assert!(covered.contains(&f.as_str()), "corpus model `{f}` has no test here");
                }
            }
        }
    };
}

corpus_tests! {
    corpus_mobilenet_v2 => "mobilenet_v2",
    corpus_efficientnet_b0 => "efficientnet_b0",
    corpus_resnet50 => "resnet50",
    corpus_bert_encoder => "bert_encoder",
    corpus_ssd_detector => "ssd_detector",
}
