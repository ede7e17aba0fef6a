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
    let src = format!("file://{}", corpus("transformer_padmask").display());
    let model = Model::load(&router, &src, &LoadOptions::default())
        .await
        .unwrap();
    let dst = "memory://refused/transformer_padmask";
    let err = model
        .save_for_tfjs(&router, dst)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("`enc1_mha` (MultiHeadAttention)"), "{err}");
    let (store, url) = router.resolve(dst).unwrap();
    assert!(
        store.load(&url).await.is_err(),
        "a refused save wrote something"
    );
}
