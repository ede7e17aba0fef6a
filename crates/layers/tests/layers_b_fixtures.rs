//! Recurrent / embedding / wrapper fixtures: TensorFlow.js 4.22 (`tfjs/rnn`)
//! and Keras 2 (`keras/text_rnn`, `keras/text_rnn_masked`) models must
//! reproduce the outputs recorded in their `io.json`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tfjs_format::{ModelJson, WeightData};
use tfjs_layers::{LoadOptions, Model, Tensor};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn load(dir: &Path) -> Model {
    let bytes = std::fs::read(dir.join("model.json")).unwrap();
    let mj = ModelJson::parse(&bytes, "model.json").unwrap();
    let mut data = Vec::new();
    for group in mj.weights_manifest.iter().flatten() {
        for p in &group.paths {
            data.extend(std::fs::read(dir.join(p)).unwrap());
        }
    }
    let artifacts = mj.into_artifacts(WeightData::from_vec(data));
    Model::from_artifacts(&artifacts, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"].as_array().unwrap();
    if v["dtype"] == "int32" {
        Tensor::from_i32(
            shape,
            data.iter().map(|x| x.as_i64().unwrap() as i32).collect(),
        )
        .unwrap()
    } else {
        Tensor::from_f32(
            shape,
            data.iter().map(|x| x.as_f64().unwrap() as f32).collect(),
        )
        .unwrap()
    }
}

fn check(dir: &str) {
    let dir = fixtures().join(dir);
    let model = load(&dir);
    let io: Value = serde_json::from_slice(&std::fs::read(dir.join("io.json")).unwrap()).unwrap();
    let inputs: Vec<Tensor> = io["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor)
        .collect();
    let atol = io["tolerance"]["atol"].as_f64().unwrap() as f32;
    let rtol = io["tolerance"]["rtol"].as_f64().unwrap() as f32;
    let outs = model.predict(&inputs).unwrap();
    let expected: Vec<Tensor> = io["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor)
        .collect();
    assert_eq!(outs.len(), expected.len());
    for (got, want) in outs.iter().zip(&expected) {
        assert_eq!(got.shape(), want.shape(), "{}", dir.display());
        let (g, w) = (got.to_f32(), want.to_f32());
        let mut worst = 0f32;
        for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
            let err = (a - b).abs();
            assert!(
                err <= atol + rtol * b.abs(),
                "{}: element {i}: got {a}, want {b}",
                dir.display()
            );
            worst = worst.max(err);
        }
        eprintln!("{}: max abs error {worst}", dir.display());
    }
}

#[test]
fn tfjs_rnn_fixture_matches_tfjs_outputs() {
    check("tfjs/rnn");
}

#[test]
fn keras_text_rnn_fixture_matches_keras_outputs() {
    check("keras/text_rnn");
}

#[test]
fn keras_text_rnn_masked_fixture_matches_keras_outputs() {
    check("keras/text_rnn_masked");
}
