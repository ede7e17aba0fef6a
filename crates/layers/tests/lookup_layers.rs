//! Keras's lookup layers against Keras 3.15's own outputs
//! (`tests/data/lookup/cases.json`, made by `gen_cases.py` there): each case
//! is a single-layer model as Keras writes it, an input and Keras's output.
//! Covers string and integer tokens, mask and OOV slots (FarmHash buckets
//! for strings and `oov_method="farmhash"`, floormod for integers), every
//! output mode, inverted lookups to strings and `Hashing` on strings.

mod common;

use common::build_error;
use serde_json::Value;
use tfjs_layers::io_json::IoJson;
use tfjs_layers::{LayerRegistry, Model, Tensor, TensorData};

/// A case's tensor (io.json's tensor format).
fn tensor(v: &Value) -> Tensor {
    let doc = serde_json::json!({"inputs": [v]}).to_string();
    let io = IoJson::parse(doc.as_bytes(), "cases.json").expect("a tensor");
    io.inputs[0].to_tensor().unwrap()
}

#[test]
fn lookup_layers_match_keras() {
    let doc: Value =
        serde_json::from_str(include_str!("data/lookup/cases.json")).expect("cases.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 14);
    let registry = LayerRegistry::with_builtins();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let model = Model::from_topology(&case["topology"], &registry, 0)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = model
            .predict(&[tensor(&case["input"])])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = tensor(&case["output"]);
        assert_eq!(y[0].shape(), want.shape(), "{name}");
        match (y[0].data(), want.data()) {
            (TensorData::Str(got), TensorData::Str(w)) => assert_eq!(got, w, "{name}"),
            (TensorData::Str(_), _) | (_, TensorData::Str(_)) => panic!("{name}: dtype differs"),
            // Keras gives one-hot/multi-hot/count as integers; the engine as
            // float32 (the numbers are what matters).
            _ => assert_eq!(y[0].to_f32(), want.to_f32(), "{name}"),
        }
    }
}

#[test]
fn string_inputs_only_reach_layers_that_take_strings() {
    // A string input straight into a Dense is refused when the model is
    // built, naming the layer.
    let topo: Value = serde_json::json!({
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "words",
                 "config": {"batch_input_shape": [null, 3], "dtype": "string", "name": "words"},
                 "inbound_nodes": []},
                {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2},
                 "inbound_nodes": [[["words", 0, 0, {}]]]}
            ],
            "input_layers": [["words", 0, 0]],
            "output_layers": [["d", 0, 0]]
        }
    });
    let err = build_error(&topo, 0);
    assert!(
        err.contains("`d`") && err.contains("string input `words`"),
        "{err}"
    );
}
