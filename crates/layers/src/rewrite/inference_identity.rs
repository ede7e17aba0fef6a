//! Keras's random augmentation layers (`RandomFlip`, `RandomRotation`, …,
//! Keras 3's `RandAugment`, `MixUp`, …: the engine's list), and the
//! training-only layers TF.js 4.22
//! lacks (`SpatialDropout2D`/`3D`, `ActivityRegularization`), are the
//! identity at inference → `Activation("linear")`. (TF.js 4.22 has
//! `RandomWidth`, but resizes even at inference, so it is rewritten too.)

use super::{Outcome, Site};

/// Training-only layers TF.js 4.22 lacks (the augmentation layers come
/// from the engine's own list, `preprocessing::INFERENCE_IDENTITY`).
const TRAINING_ONLY: &[&str] = &[
    "ActivityRegularization",
    "SpatialDropout2D",
    "SpatialDropout3D",
];

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let augmentation = crate::layers::preprocessing::INFERENCE_IDENTITY;
    if !augmentation.contains(&site.class_name) && !TRAINING_ONLY.contains(&site.class_name) {
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
    if site.target != super::Target::TfKeras || !keras3_only {
        return Outcome::Skip;
    }
    site.as_identity()
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

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
