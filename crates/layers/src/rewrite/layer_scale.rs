//! ConvNeXt's `LayerScale` (`x * gamma` over the last axis) →
//! `BatchNormalization(axis=-1, center=false, epsilon=0)` with `gamma`,
//! `moving_mean = 0`, `moving_variance = 1`: `(x - 0) / sqrt(1 + 0) *
//! gamma` is `x * gamma`.

use super::{f32_weight, Outcome, Site};
use tfjs_format::codec::TensorValues;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "LayerScale" {
        return Outcome::Skip;
    }
    let gamma = match site.weights.as_slice() {
        [w] => match &w.values {
            TensorValues::Float32(v) => v.clone(),
            _ => return Outcome::Cannot("its scale is not float32".into()),
        },
        other => {
            return Outcome::Cannot(format!(
                "expected one weight (gamma), found {}",
                other.len()
            ))
        }
    };
    let n = gamma.len();
    let name = site.name;
    let w = |short: &str, v: Vec<f32>| f32_weight(format!("{name}/{short}"), vec![n], v);
    let weights = vec![
        w("gamma", gamma),
        w("moving_mean", vec![0.0; n]),
        w("moving_variance", vec![1.0; n]),
    ];
    super::normalization::fixed_batch_norm(site, -1, false, true, weights)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn layer_scale_becomes_batch_normalization() {
        let layers = vec![entry_on(
            "ls",
            "LayerScale",
            json!({"init_values": 0.5, "projection_dim": 3}),
            "x",
        )];
        // Seeded initial gamma is init_values everywhere; set distinct ones.
        let model = functional(&[2, 3], layers, 2);
        let mut a = model.to_artifacts().unwrap();
        let mut w = tfjs_format::codec::decode_weights(&a.weight_specs, &a.weight_data).unwrap();
        w[0].values = tfjs_format::codec::TensorValues::Float32(vec![0.5, -2.0, 1e-6]);
        let (specs, bytes) = tfjs_format::codec::encode_weights(&w).unwrap();
        a.weight_specs = specs;
        a.weight_data = tfjs_format::WeightData::from_vec(bytes);
        let model = crate::Model::from_artifacts(&a, &Default::default()).unwrap();
        assert_same(&model, &input(&[2, 2, 3]), 0.0);
    }
}
