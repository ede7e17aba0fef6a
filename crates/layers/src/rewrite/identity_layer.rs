//! The `Identity` layer: TensorFlow.js 4.22 knows `Identity` only as an
//! initializer, so loading the layer deserializes an initializer and fails
//! ("layer.setFastWeightInitDuringBuild is not a function"). Rewritten as
//! `Activation("linear")`, which returns its input.
//!
//! Keras 3's `FeatureSpace` puts two layers of its own into the models it
//! builds, which TensorFlow.js has no class for: `TFDIdentity` (its input)
//! becomes the same `Activation("linear")`, and `TFDConcat(axis)`
//! (`numpy.concatenate`, which keeps the inputs' common dtype, as TF.js's
//! `Concatenate` does) a `Concatenate` on that axis. `TFDConcat` drops
//! Keras masks where `Concatenate` merges them, so a model with masks
//! keeps it refused.

use super::{Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    match site.class_name {
        "Identity" | "TFDIdentity" => site.as_identity(),
        "TFDConcat" => {
            if site.masks_possible {
                return Outcome::Cannot(
                    "the model has Keras masks, which TFDConcat drops and Concatenate would merge"
                        .into(),
                );
            }
            let axis = site
                .config
                .get("axis")
                .and_then(Value::as_i64)
                .unwrap_or(-1);
            site.as_one("Concatenate", json!({"axis": axis}), Vec::new())
        }
        _ => Outcome::Skip,
    }
}

#[cfg(test)]
mod tests {
    use super::super::classes_in;
    use super::super::test_util::*;

    #[test]
    fn the_identity_layer_becomes_a_linear_activation() {
        let layers = vec![
            entry_on("id", "Identity", json!({}), "x"),
            dense("d", 2, "id"),
        ];
        let model = functional(&[3], layers, 1);
        let out = assert_same(&model, &input(&[2, 3]), 0.0);
        assert_note(&out, "id (Identity) -> Activation");
        let mut classes = Vec::new();
        classes_in(out.artifacts.model_topology.as_ref().unwrap(), &mut classes);
        assert!(!classes.iter().any(|c| c == "Identity"), "{classes:?}");
    }

    #[test]
    fn feature_space_data_layers_become_concatenate_and_activation() {
        // FeatureSpace(output_mode="concat") ends its preprocessing in
        // TFDConcat(axis=-1) (numpy.concatenate); a pass-through feature is
        // a TFDIdentity.
        let layers = vec![
            entry_on("a", "Activation", json!({"activation": "relu"}), "x"),
            entry_on("pass", "TFDIdentity", json!({}), "x"),
            entry_on_all("cat", "TFDConcat", json!({"axis": -1}), &["a", "pass"]),
        ];
        let model = functional(&[3], layers, 7);
        let x = input(&[2, 3]);
        let cat = model.predict(std::slice::from_ref(&x)).unwrap().remove(0);
        assert_eq!(cat.shape(), &[2, 6]);
        let (c, xs) = (cat.to_f32(), x.to_f32());
        for r in 0..2 {
            for j in 0..3 {
                assert_eq!(c[r * 6 + j], xs[r * 3 + j].max(0.0));
                assert_eq!(c[r * 6 + 3 + j], xs[r * 3 + j]);
            }
        }
        let out = assert_same(&model, &x, 0.0);
        assert_note(&out, "cat (TFDConcat) -> Concatenate");
        assert_note(&out, "pass (TFDIdentity) -> Activation");
    }
}
