//! The rewrites made for each runtime (`rewrite_for`: TensorFlow.js
//! `--rebuild`, a tf_keras `.h5` export, a Keras 3 `.keras` export) of
//! corpus models predict Keras's own outputs (io.json) when the engine
//! loads them back. (Real TF.js and real Keras loading them is checked by
//! the tfjs-node e2e and `crates/keras/scripts/export_corpus.sh`.)

mod common;

use common::{check_model, read_io};
use std::path::Path;
use tfjs_layers::rewrite::{rewrite_for, Target};
use tfjs_layers::{LoadOptions, Model};

fn corpus(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/corpus/keras")
        .join(name)
}

#[test]
fn virtual_batch_norm_and_locally_connected_rewrites_predict_like_keras() {
    for name in ["bn_virtual", "locally_connected", "locally_connected_modes"] {
        let dir = corpus(name);
        let model = common::load_fixture(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        let io = read_io(&dir);
        for target in [Target::Tfjs, Target::TfKeras, Target::Keras3] {
            let out = rewrite_for(&model, target)
                .unwrap_or_else(|e| panic!("{name} for {}: {e}", target.name()));
            let back = Model::from_artifacts(&out.artifacts, &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{name} for {}: {e}", target.name()));
            check_model(&back, &io).unwrap_or_else(|e| panic!("{name} for {}: {e}", target.name()));
            let topology = out.artifacts.model_topology.as_ref().unwrap().to_string();
            assert!(
                !topology.contains("virtual_batch_size"),
                "{name} for {}",
                target.name()
            );
            // tf_keras has LocallyConnected; TF.js and Keras 3 do not.
            assert_eq!(
                topology.contains("LocallyConnected"),
                target == Target::TfKeras && name.starts_with("locally"),
                "{name} for {}",
                target.name()
            );
        }
    }
}
