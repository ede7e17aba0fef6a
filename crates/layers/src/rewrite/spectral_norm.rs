//! `SpectralNormalization(layer)` → the wrapped layer itself (TensorFlow.js
//! 4.22 has no such wrapper). Exact: at inference Keras calls the wrapped
//! layer with its saved kernel, which training already normalized;
//! `vector_u` (the power iteration's state) is dropped. The same for a
//! tf_keras export (tf_keras 2.21 has no such layer).

use super::{Outcome, Site, Target};
use serde_json::Value;

/// For a Keras export: tf_keras 2.21 has no `SpectralNormalization`
/// either; Keras 3 keeps it.
pub fn keras_rule(site: &Site<'_>) -> Outcome {
    match site.target {
        Target::TfKeras => rule(site),
        _ => Outcome::Skip,
    }
}

/// The rule: applies to `SpectralNormalization`.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "SpectralNormalization" {
        return Outcome::Skip;
    }
    let inner = site.config.get("layer");
    let class = inner
        .and_then(|l| l.get("class_name"))
        .and_then(Value::as_str);
    let config = inner
        .and_then(|l| l.get("config"))
        .and_then(Value::as_object);
    let (Some(class), Some(config)) = (class, config) else {
        return Outcome::Cannot("its `layer` is not a {class_name, config} object".into());
    };
    if let Some(why) = super::activations::kept_activation_problem_in(config, site) {
        return Outcome::Cannot(format!("its wrapped {class}: {why}"));
    }
    let mut config = config.clone();
    config.insert("name".into(), site.name.into());
    let own_state = format!("{}/vector_u", site.name);
    let weights = site
        .weights
        .iter()
        .filter(|w| w.name != own_state)
        .map(|w| (*w).clone())
        .collect();
    site.as_one(class, Value::Object(config), weights)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn spectral_normalization_is_its_wrapped_layer() {
        let layers = vec![entry_on(
            "sn",
            "SpectralNormalization",
            json!({"layer": {"class_name": "Dense",
                             "config": {"name": "dense", "units": 3, "activation": "tanh"}},
                   "power_iterations": 1}),
            "x",
        )];
        assert_rewrites_from(
            Some("3.15.1"),
            &[2, 4],
            layers,
            7,
            0.0,
            "sn (SpectralNormalization) -> Dense",
        );
    }
}
