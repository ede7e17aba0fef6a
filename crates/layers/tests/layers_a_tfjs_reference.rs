//! Small TensorFlow.js 4.22 models covering the core / conv / pooling /
//! normalization / merge / activation layers the shared fixtures leave out
//! (Conv3D, transposed convolutions, depth multipliers, dilation,
//! `channels_first`, 3-D pooling, bilinear up-sampling, cropping, multi-axis
//! LayerNormalization, BatchNormalization without center/scale, PReLU shared
//! axes, Average/Maximum/Minimum, broadcasting merges, Dot with normalize…).
//!
//! `tests/data/layers_a_tfjs.json` was produced by real TensorFlow.js
//! (`tests/data/gen_layers_a_tfjs.js`, cpu backend): each case holds the
//! topology and weights TF.js saved, the inputs, and the outputs TF.js
//! computed. We load the saved artifacts, predict, and compare; we also save
//! the topology back and require it to equal TF.js's byte for byte.

use serde_json::{json, Value};
use std::path::Path;
use tfjs_format::json::JsonStyle;
use tfjs_format::{ModelJson, WeightData};
use tfjs_layers::{LoadOptions, Model, Tensor};

fn cases() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/layers_a_tfjs.json");
    let bytes = std::fs::read(path).unwrap();
    let v = tfjs_format::json::parse_value(&bytes, "layers_a_tfjs.json").unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn load(case: &Value) -> Model {
    let mj = json!({
        "modelTopology": case["modelTopology"],
        "weightsManifest": [{"paths": ["w.bin"], "weights": case["weightSpecs"]}],
        "format": "layers-model",
        "generatedBy": "TensorFlow.js tfjs-layers v4.22.0",
        "convertedBy": null,
    });
    let bytes = serde_json::to_vec(&mj).unwrap();
    let mj = ModelJson::parse(&bytes, "model.json").unwrap();
    let data: Vec<u8> = case["weightData"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|x| (x.as_f64().unwrap() as f32).to_le_bytes())
        .collect();
    let artifacts = mj.into_artifacts(WeightData::from_vec(data));
    Model::from_artifacts(&artifacts, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", case["name"]))
}

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_f32(shape, data).unwrap()
}

#[test]
fn predictions_match_tfjs() {
    let cases = cases();
    assert!(cases.len() >= 10);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let model = load(case);
        let inputs: Vec<Tensor> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        let outs = model
            .predict(&inputs)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<Tensor> = case["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        assert_eq!(outs.len(), expected.len(), "{name}");
        for (o, (got, want)) in outs.iter().zip(&expected).enumerate() {
            assert_eq!(got.shape(), want.shape(), "{name} output {o}");
            let (g, w) = (got.to_f32(), want.to_f32());
            for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
                assert!(
                    (a - b).abs() <= 2e-5 + 1e-4 * b.abs(),
                    "{name} output {o} element {i}: got {a}, TF.js {b}"
                );
            }
        }
    }
}

#[test]
fn saved_topology_equals_tfjs() {
    for case in &cases() {
        let name = case["name"].as_str().unwrap();
        let model = load(case);
        let ours = JsonStyle::Node.to_string(&model.topology());
        let theirs = JsonStyle::Node.to_string(&case["modelTopology"]);
        assert_eq!(ours, theirs, "{name}");
    }
}
