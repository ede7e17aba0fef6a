//! The `Identity` layer: TensorFlow.js 4.22 knows `Identity` only as an
//! initializer, so loading the layer deserializes an initializer and fails
//! ("layer.setFastWeightInitDuringBuild is not a function"). Rewritten as
//! `Activation("linear")`, which returns its input.

use super::{Outcome, Site};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Identity" {
        return Outcome::Skip;
    }
    site.as_identity()
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
}
