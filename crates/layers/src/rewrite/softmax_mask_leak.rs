//! `Softmax` layers over the last axis in a model that makes Keras masks
//! → `Activation("softmax")`, the same function.
//!
//! TensorFlow.js 4.22's executor (`execute`, which `predict` runs) keeps
//! one keyword-argument object for the whole run and sets its `mask` at
//! every call whose input carries one, never clearing it: every layer run
//! after a masked call is handed that stale mask. Its `Softmax` layer
//! applies it (`x + (1 - mask)·-1e9`), which fails ("Operands could not be
//! broadcast together") or, where the shapes happen to broadcast,
//! computes other numbers; its `Activation` ignores it. Found by loading a
//! rebuilt `Embedding(mask_zero)` → `LSTM` → `Dense` → `Softmax` model in
//! real TF.js. A `Softmax` a Keras mask reaches is left alone (Keras
//! applies that mask; see [`super::masked_calls`]).

use serde_json::{json, Value};
use tfjs_format::topology::{layer_entry_class, layer_entry_name};

/// Rewrites the `Softmax` entries among `layers` (one model's, functional
/// or Sequential; those of rules' rewrites included) over the last axis
/// that no mask reaches (`masked(name)`), in place; a note per layer.
pub fn rewrite(layers: &mut [Value], masked: impl Fn(&str) -> bool) -> Vec<String> {
    let mut notes = Vec::new();
    for l in layers.iter_mut() {
        if layer_entry_class(l) != "Softmax" {
            continue;
        }
        let name = layer_entry_name(l).unwrap_or("").to_string();
        let Some(config) = l.get_mut("config").and_then(Value::as_object_mut) else {
            continue;
        };
        let last = match config.get("axis") {
            None => true,
            Some(Value::Array(a)) => a.as_slice() == [json!(-1)],
            Some(a) => *a == json!(-1),
        };
        if !last || masked(&name) {
            continue;
        }
        config.remove("axis");
        config.insert("activation".into(), json!("softmax"));
        l["class_name"] = json!("Activation");
        notes.push(format!(
            "{} (Softmax) -> Activation(softmax) (TensorFlow.js 4.22's Softmax layer would apply \
             the mask its executor leaves for every later call)",
            crate::error::printable(&name)
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn softmax_layers_become_activations_in_models_that_make_masks() {
        let layers = vec![
            mask_zero_embedding("emb", "x"),
            entry_on("lstm", "LSTM", json!({"units": 4}), "emb"),
            entry_on("sm", "Softmax", json!({"axis": -1}), "lstm"),
        ];
        let model = functional(&[5], layers, 2);
        let ids = [3., 1., 0., 0., 0., 2., 7., 5., 5., 1.];
        let x = crate::Tensor::from_f32(vec![2, 5], ids.to_vec()).unwrap();
        let out = assert_same(&model, &x, 1e-6);
        assert_note(&out, "sm (Softmax) -> Activation(softmax)");
        assert_eq!(
            layer_named(out.artifacts.model_topology.as_ref().unwrap(), "sm")["class_name"],
            "Activation"
        );
        // Without masks the layer stays.
        let plain = functional(
            &[4],
            vec![entry_on("sm", "Softmax", json!({"axis": -1}), "x")],
            1,
        );
        let out = super::super::rewrite_for_tfjs(&plain).unwrap();
        assert_eq!(
            layer_named(out.artifacts.model_topology.as_ref().unwrap(), "sm")["class_name"],
            "Softmax"
        );
    }
}
