//! Keras's random augmentation layers (`RandomFlip`, `RandomRotation`, …,
//! Keras 3's `RandAugment`, `MixUp`, …: the engine's list), and the
//! training-only layers TF.js 4.22
//! lacks (`SpatialDropout2D`/`3D`, `ActivityRegularization`), are the
//! identity at inference → `Activation("linear")`. (TF.js 4.22 has
//! `RandomWidth`, but resizes even at inference, so it is rewritten too.)
//! A Keras 3 `Pipeline` of such layers only (`Pipeline([Equalization(),
//! MaxNumBoundingBoxes(4)])`) is the identity too.

use super::{Outcome, Site};

/// Training-only layers TF.js 4.22 lacks (the augmentation layers come
/// from the engine's own list, `preprocessing::INFERENCE_IDENTITY`).
const TRAINING_ONLY: &[&str] = &[
    "ActivityRegularization",
    "SpatialDropout2D",
    "SpatialDropout3D",
];

/// Whether a layer of `class` is the identity at inference.
fn identity_at_inference(class: &str) -> bool {
    crate::layers::preprocessing::INFERENCE_IDENTITY.contains(&class)
        || TRAINING_ONLY.contains(&class)
}

/// Whether the layer is a `Pipeline` whose layers are all the identity at
/// inference.
fn identity_pipeline(site: &Site<'_>) -> bool {
    site.class_name == "Pipeline"
        && site
            .field("layers", serde_json::Value::as_array)
            .is_some_and(|layers| {
                !layers.is_empty()
                    && layers.iter().all(|l| {
                        l.get("class_name")
                            .and_then(serde_json::Value::as_str)
                            .is_some_and(identity_at_inference)
                    })
            })
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !identity_at_inference(site.class_name) && !identity_pipeline(site) {
        return Outcome::Skip;
    }
    site.as_identity()
}

/// The augmentation layers tf_keras 2.21 has (the others are Keras 3's).
const TF_KERAS_AUGMENTATION: &[&str] = &[
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomHeight",
    "RandomRotation",
    "RandomTranslation",
    "RandomWidth",
    "RandomZoom",
];

/// For a tf_keras export: Keras 3's newer augmentation layers (the
/// identity at inference) as identity `Activation`s.
pub fn keras_rule(site: &Site<'_>) -> Outcome {
    let keras3_only = crate::layers::preprocessing::INFERENCE_IDENTITY.contains(&site.class_name)
        && !TF_KERAS_AUGMENTATION.contains(&site.class_name);
    if site.target != super::Target::TfKeras || !(keras3_only || identity_pipeline(site)) {
        return Outcome::Skip;
    }
    site.as_identity()
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_pipeline_of_inference_identities_becomes_one_identity_activation() {
        let pipeline = |inner: serde_json::Value| {
            let config = json!({"name": "prep", "layers": inner});
            vec![
                entry_on("prep", "Pipeline", config, "x"),
                dense("d", 2, "prep"),
            ]
        };
        let identities = json!([
            {"class_name": "Equalization", "config": {"value_range": [0, 255]}},
            {"class_name": "MaxNumBoundingBoxes", "config": {"max_number": 4}},
            {"class_name": "RandomFlip", "config": {"mode": "horizontal"}}
        ]);
        let model = functional(&[4, 4, 3], pipeline(identities), 3);
        let out = assert_same(&model, &input(&[2, 4, 4, 3]), 0.0);
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(layer_named(topology, "prep")["class_name"], "Activation");
        // A layer that computes keeps the Pipeline (TF.js has none).
        let computing = json!([
            {"class_name": "Equalization", "config": {}},
            {"class_name": "Rescaling", "config": {"scale": 0.5, "offset": 0.0}}
        ]);
        let model = functional(&[4, 4, 3], pipeline(computing), 3);
        assert_refused(&model, &["`prep` (Pipeline)"]);
    }

    #[test]
    fn random_augmentation_layers_become_identity_activations() {
        let layers = vec![
            entry_on(
                "flip",
                "RandomFlip",
                json!({"mode": "horizontal", "seed": 1}),
                "x",
            ),
            entry_on("rot", "RandomRotation", json!({"factor": 0.2}), "flip"),
            entry_on("contrast", "RandomContrast", json!({"factor": 0.3}), "rot"),
            entry_on(
                "sdrop",
                "SpatialDropout2D",
                json!({"rate": 0.5}),
                "contrast",
            ),
            entry_on(
                "reg",
                "ActivityRegularization",
                json!({"l1": 0.01, "l2": 0.0}),
                "sdrop",
            ),
            dense("d", 2, "reg"),
        ];
        let model = functional(&[4, 4, 3], layers, 2);
        let out = assert_same(&model, &input(&[2, 4, 4, 3]), 0.0);
        assert_eq!(out.notes.len(), 5, "{:?}", out.notes);
    }
}
