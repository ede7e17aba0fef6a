//! Export (.h5 / .keras) and safetensors round trips through this crate's
//! own readers. Real Keras loading the exports is checked by
//! scripts/check_export.py (see the README).

use std::path::Path;
use tfjs_format::ModelArtifacts;
use tfjs_io::file::load_path;
use tfjs_keras::{import_h5, import_keras, safetensors};

const FIXTURES: &str = "../../../shared/fixtures/keras";

fn rebuilt(model: &str) -> ModelArtifacts {
    let a = load_path(&Path::new(FIXTURES).join(model)).unwrap();
    tfjs_layers::Model::from_artifacts(&a, &tfjs_layers::LoadOptions::default())
        .unwrap()
        .to_artifacts()
        .unwrap()
}

#[test]
fn safetensors_round_trip_keeps_names_order_dtypes_and_topology() {
    for model in ["mobilenet_v2", "text_rnn", "mobilenet_v2_uint8"] {
        let a = load_path(&Path::new(FIXTURES).join(model)).unwrap();
        let bytes = safetensors::export(&a).unwrap();
        let back = safetensors::import(&bytes, None).unwrap();
        assert!(back.notes.is_empty(), "{:?}", back.notes);
        let b = back.artifacts;
        assert_eq!(b.model_topology, a.model_topology, "{model}");
        let names = |x: &ModelArtifacts| {
            x.weight_specs
                .iter()
                .map(|w| (w.name.clone(), w.shape.clone(), w.dtype))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&b), names(&a), "{model}");
        let decode = |x: &ModelArtifacts| {
            tfjs_format::codec::decode_weights(&x.weight_specs, &x.weight_data).unwrap()
        };
        let (da, db) = (decode(&a), decode(&b));
        for (x, y) in da.iter().zip(&db) {
            assert_eq!(x.values, y.values, "{model}: {}", x.name);
        }
    }
}

#[test]
fn safetensors_without_topology_needs_one() {
    let a = load_path(&Path::new(FIXTURES).join("text_rnn")).unwrap();
    let mut bare = a.clone();
    bare.model_topology = None;
    let bytes = safetensors::export(&bare).unwrap();
    let err = safetensors::import(&bytes, None).unwrap_err().to_string();
    assert!(err.contains("--topology"), "{err}");
    let t = a.model_topology.clone().unwrap();
    let back = safetensors::import(&bytes, Some(&t)).unwrap();
    assert_eq!(back.artifacts.model_topology, a.model_topology);
    assert!(safetensors::import(b"garbage", None)
        .unwrap_err()
        .to_string()
        .contains("not a valid safetensors"));
}

#[test]
fn h5_export_reads_back_with_the_same_weights() {
    for model in ["mobilenet_v2", "text_rnn_masked"] {
        let a = rebuilt(model);
        let h5 = tfjs_keras::export::to_h5(&a).unwrap();
        let back = import_h5(&h5).unwrap().artifacts;
        let topo = back.model_topology.unwrap();
        assert_eq!(topo["keras_version"], "2.21.0");
        assert_eq!(
            topo["model_config"]["config"],
            a.model_topology.as_ref().unwrap()["config"]
        );
        // Same bytes per weight name (the order is the HDF5 group order).
        let mut want: Vec<_> = a.weight_specs.iter().map(|w| w.name.clone()).collect();
        let mut got: Vec<_> = back.weight_specs.iter().map(|w| w.name.clone()).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{model}");
        assert_eq!(back.weight_data.len(), a.weight_data.len());
    }
}

#[test]
fn keras_export_reads_back_with_keras3_paths() {
    let a = rebuilt("keras3_cnn_keras");
    let k = tfjs_keras::export::to_keras(&a).unwrap();
    let back = import_keras(&k).unwrap().artifacts;
    let names: Vec<&str> = back.weight_specs.iter().map(|w| w.name.as_str()).collect();
    // The same paths Keras 3 itself wrote for this model (the fixture).
    let fixture = load_path(&Path::new(FIXTURES).join("keras3_cnn_keras")).unwrap();
    let want: Vec<&str> = fixture
        .weight_specs
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(names, want);
    assert_eq!(
        &*back.weight_data.contiguous(),
        &*fixture.weight_data.contiguous()
    );
}

#[test]
fn keras_export_of_recurrent_wrappers_uses_keras3_paths() {
    // Keras 3 wrote these .keras files itself; the converter named each
    // weight by its path in model.weights.h5 (`layers/bidirectional/
    // forward_layer/cell/vars/0`, `layers/time_distributed/layer/vars/0`).
    let corpus = Path::new("../../fixtures/corpus/keras");
    for model in ["keras3zip_birnn_masked", "keras3zip_time_distributed"] {
        let fixture = load_path(&corpus.join(model)).unwrap();
        let a = tfjs_layers::Model::from_artifacts(&fixture, &Default::default())
            .unwrap()
            .to_artifacts()
            .unwrap();
        let k = tfjs_keras::export::to_keras(&a).unwrap();
        let by_name = |x: &ModelArtifacts| {
            let mut v: Vec<(String, Vec<u8>)> =
                tfjs_format::codec::decode_weights(&x.weight_specs, &x.weight_data)
                    .unwrap()
                    .into_iter()
                    .map(|w| (w.name, format!("{:?} {:?}", w.shape, w.values).into_bytes()))
                    .collect();
            v.sort();
            v
        };
        let back = import_keras(&k).unwrap().artifacts;
        let (got, want) = (by_name(&back), by_name(&fixture));
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&want), "{model}");
        assert!(got == want, "{model}: same paths, other values");
        // Nested layers carry the module Keras 3 deserializes them by.
        let zip = tfjs_keras::zip::ZipArchive::parse(&k).unwrap();
        let config: serde_json::Value =
            serde_json::from_slice(&zip.read("config.json").unwrap().unwrap()).unwrap();
        for l in config["config"]["layers"].as_array().unwrap() {
            if let Some(inner) = l["config"].get("layer") {
                assert_eq!(inner["module"], "keras.layers", "{model}: {l}");
            }
        }
    }
}

#[test]
fn keras_export_renames_layers_with_slashes_consistently() {
    // tf_keras's DenseNet names layers `conv1/conv`; Keras 3 refuses `/`.
    let fixture = load_path(Path::new("../../fixtures/corpus/keras/densenet121")).unwrap();
    let a = tfjs_layers::Model::from_artifacts(&fixture, &Default::default())
        .unwrap()
        .to_artifacts()
        .unwrap();
    let k = tfjs_keras::export::to_keras(&a).unwrap();
    let zip = tfjs_keras::zip::ZipArchive::parse(&k).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&zip.read("config.json").unwrap().unwrap()).unwrap();
    let layers = config["config"]["layers"].as_array().unwrap();
    let names: std::collections::BTreeSet<&str> =
        layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), layers.len(), "names stay unique");
    assert!(names.contains("conv1_conv"), "{names:?}");
    for l in layers {
        let name = l["name"].as_str().unwrap();
        assert!(!name.contains('/'), "{name}");
        assert_eq!(l["config"]["name"], l["name"]);
        for node in l["inbound_nodes"].as_array().unwrap() {
            // Keras 3's call form: `{"args": [tensor | [tensor, …]], …}`.
            let args = node["args"].as_array().unwrap();
            let tensors = match &args[0] {
                serde_json::Value::Array(many) => many.clone(),
                one => vec![one.clone()],
            };
            for t in tensors {
                let from = t["config"]["keras_history"][0].as_str().unwrap();
                assert!(names.contains(from), "{name} <- {from}");
            }
        }
    }
    for key in ["input_layers", "output_layers"] {
        for r in config["config"][key].as_array().unwrap() {
            assert!(names.contains(r[0].as_str().unwrap()), "{key}: {r}");
        }
    }
}
