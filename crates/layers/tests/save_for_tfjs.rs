//! `Model::save_for_tfjs`: a model with layers TensorFlow.js 4.22 lacks is
//! saved with them rewritten (what `tfjs convert --rebuild` does), loads
//! back with only TF.js classes and predicts Keras's numbers; a model with a
//! layer that has no exact rewrite is refused, naming it, and nothing is
//! saved. (Real TF.js loading these rewrites is checked by the tfjs-node
//! e2e over the whole corpus.)

use std::path::{Path, PathBuf};
use tfjs_io::Router;
use tfjs_layers::io_json::{compare, IoJson};
use tfjs_layers::rewrite::tfjs_knows;
use tfjs_layers::{LoadOptions, Model};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/corpus/keras")
        .join(name)
}

fn classes(v: &serde_json::Value, out: &mut Vec<String>) {
    tfjs_layers::rewrite::classes_in(v, out);
}

#[tokio::test]
async fn keras_only_layers_are_rewritten_on_save() {
    let router = Router::with_local_stores();
    // Normalization, TFOpLambda arithmetic and activations, Keras 3 ops.
    // ... and attention with an attention_mask input or a causal mask.
    for name in [
        "prep_normalization",
        "mobilenet_v3_small",
        "keras3zip_mobilenet_v3_small",
        "transformer_attention_mask",
        "keras3zip_transformer_causal",
        "transformer_causal",
        // tf_keras virtual_batch_size, LocallyConnected1D/2D (all three layouts).
        "bn_virtual",
        "locally_connected",
        "locally_connected_modes",
        // Keras 3 GPTQ / AWQ EinsumDense: dequantized, then as a float EinsumDense.
        "keras3h5_k3_gptq_einsum",
        "keras3h5_k3_awq_einsum",
    ] {
        let dir = corpus(name);
        let src = format!("file://{}", dir.display());
        let model = Model::load(&router, &src, &LoadOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let dst = format!("memory://rewritten/{name}");
        let (_, notes) = model
            .save_for_tfjs(&router, &dst)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!notes.is_empty(), "{name}: nothing was rewritten");
        let (store, url) = router.resolve(&dst).unwrap();
        let saved = store.load(&url).await.unwrap();
        let mut found = Vec::new();
        classes(saved.model_topology.as_ref().unwrap(), &mut found);
        let foreign: Vec<&String> = found.iter().filter(|c| !tfjs_knows(c)).collect();
        assert!(foreign.is_empty(), "{name}: still has {foreign:?}");
        let reloaded = Model::load(&router, &dst, &LoadOptions::default())
            .await
            .unwrap();
        let io = IoJson::parse(&std::fs::read(dir.join("io.json")).unwrap(), name).unwrap();
        let names = reloaded.input_names();
        let out = reloaded.predict(&io.inputs_for(&names).unwrap()).unwrap();
        let (reference, tol) = io.reference();
        let c = compare(&out, reference, tol, 3);
        assert!(c.passed(), "{name}: {c:?}");
    }
}

#[tokio::test]
async fn a_layer_without_an_exact_rewrite_is_named_and_nothing_is_saved() {
    let router = Router::with_local_stores();
    let src = format!("file://{}", corpus("stateful_rnn").display());
    let model = Model::load(&router, &src, &LoadOptions::default())
        .await
        .unwrap();
    let dst = "memory://refused/stateful_rnn";
    let err = model
        .save_for_tfjs(&router, dst)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`gru` (GRU)") && err.contains("stateful"),
        "{err}"
    );
    let (store, url) = router.resolve(dst).unwrap();
    assert!(
        store.load(&url).await.is_err(),
        "a refused save wrote something"
    );
}

/// Layers of two nested models sharing a name (Keras 3 `.keras` files tell
/// their weights apart by path; one layer object in two models is saved
/// once): the engine loads them, and saving renames the later layer so that
/// every weight name is unique, as TensorFlow.js requires; the save loads
/// back with Keras's numbers. A TensorFlow.js-form file whose weight names
/// leave the layers ambiguous is refused, naming the weight.
#[tokio::test]
async fn layers_sharing_a_name_in_nested_models_are_renamed_on_save() {
    let router = Router::with_local_stores();
    for (name, renamed) in [
        ("keras3zip_nested_same_names", "hidden_1/kernel"),
        ("keras3zip_nested_shared_layer", "shared_1/kernel"),
    ] {
        let dir = corpus(name);
        let src = format!("file://{}", dir.display());
        let model = Model::load(&router, &src, &LoadOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let saved = model.to_artifacts().unwrap();
        let names: Vec<&str> = saved.weight_specs.iter().map(|w| w.name.as_str()).collect();
        let unique: std::collections::HashSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{name}: {names:?}");
        assert!(names.contains(&renamed), "{name}: {names:?}");
        let reloaded = Model::from_artifacts(&saved, &LoadOptions::default()).unwrap();
        let io = IoJson::parse(&std::fs::read(dir.join("io.json")).unwrap(), name).unwrap();
        let out = reloaded
            .predict(&io.inputs_for(&reloaded.input_names()).unwrap())
            .unwrap();
        let (reference, tol) = io.reference();
        let c = compare(&out, reference, tol, 3);
        assert!(c.passed(), "{name}: {c:?}");
    }
    // The same weights named `<layer>/<weight>` without the renaming, for
    // the file's own topology (both towers' layers named `hidden`, `dense`).
    let dir = corpus("keras3zip_nested_same_names");
    let src = format!("file://{}", dir.display());
    let model = Model::load(&router, &src, &LoadOptions::default())
        .await
        .unwrap();
    let mut ambiguous = model.to_artifacts().unwrap();
    for w in &mut ambiguous.weight_specs {
        w.name = w.name.replace("_1/", "/");
    }
    let (store, url) = router.resolve(&src).unwrap();
    ambiguous.model_topology = store.load(&url).await.unwrap().model_topology;
    let err = Model::from_artifacts(&ambiguous, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Duplicate weight name: hidden/kernel"),
        "{err}"
    );
}
