//! Fixtures that use only core / conv / pooling / normalization / merge /
//! activation layers: TensorFlow.js 4.22 models (`tfjs/*`) and Keras
//! conversions (`keras/mobilenet_*`, `keras/keras3_cnn_*`) must reproduce
//! the outputs recorded in their `io.json` within its tolerance.

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

/// Load `dir`, predict its io.json inputs and compare with `outputs_key`
/// under the tolerance `tolerance_key`.
fn check_with(dir: &str, outputs_key: &str, tolerance_key: &str) {
    let dir = fixtures().join(dir);
    let model = load(&dir);
    let io: Value = serde_json::from_slice(&std::fs::read(dir.join("io.json")).unwrap()).unwrap();
    let inputs: Vec<Tensor> = io["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(tensor)
        .collect();
    let atol = io[tolerance_key]["atol"].as_f64().unwrap() as f32;
    let rtol = io[tolerance_key]["rtol"].as_f64().unwrap() as f32;
    let outs = model
        .predict(&inputs)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let expected: Vec<Tensor> = io[outputs_key]
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

fn check(dir: &str) {
    check_with(dir, "outputs", "tolerance");
}

#[test]
fn tfjs_mlp() {
    check("tfjs/mlp");
}

#[test]
fn tfjs_cnn() {
    check("tfjs/cnn");
}

#[test]
fn tfjs_conv1d() {
    check("tfjs/conv1d");
}

#[test]
fn tfjs_mobilenet_block() {
    check("tfjs/mobilenet_block");
}

#[test]
fn tfjs_misc() {
    check("tfjs/misc");
}

#[test]
fn tfjs_functional_multi_io() {
    check("tfjs/functional_multi_io");
}

#[test]
fn tfjs_nested() {
    check("tfjs/nested");
}

#[test]
fn keras_mobilenet_v1() {
    check("keras/mobilenet_v1");
}

#[test]
fn keras_mobilenet_v1_sharded() {
    check("keras/mobilenet_v1_sharded");
}

#[test]
fn keras_mobilenet_v2() {
    check("keras/mobilenet_v2");
}

#[test]
fn keras_mobilenet_v2_float16_dequantized() {
    check_with(
        "keras/mobilenet_v2_float16",
        "outputs_dequantized",
        "tolerance_dequantized",
    );
}

#[test]
fn keras_mobilenet_v2_uint8_dequantized() {
    check_with(
        "keras/mobilenet_v2_uint8",
        "outputs_dequantized",
        "tolerance_dequantized",
    );
}

#[test]
fn keras3_cnn_h5() {
    check("keras/keras3_cnn_h5");
}

#[test]
fn keras3_cnn_keras() {
    check("keras/keras3_cnn_keras");
}
