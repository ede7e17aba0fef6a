//! `Normalization` → `BatchNormalization` with fixed statistics.
//!
//! Keras computes `(x - mean) / max(sqrt(variance), 1e-7)` (with
//! `invert: true`: `mean + x * max(sqrt(variance), 1e-7)`). TensorFlow.js's
//! `BatchNormalization` at inference computes
//! `(x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta`, so
//! with `epsilon: 0`:
//!
//! - forward: `moving_mean = mean`, `moving_variance = variance` where
//!   `sqrt(variance) >= 1e-7`, else `1e-14` (Keras's floor, squared); no
//!   `gamma`/`beta`;
//! - `invert`: `moving_mean = 0`, `moving_variance = 1`,
//!   `gamma = max(sqrt(variance), 1e-7)`, `beta = mean`.
//!
//! Statistics over one axis map to that `axis`; scalar statistics (`axis:
//! null`, or one value) are repeated along the last axis. Statistics over
//! several axes have no single-axis equivalent and are refused.

use super::{f32_weight, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::{DecodedWeight, TensorValues};

/// Keras `backend.epsilon()`.
const EPSILON: f32 = 1e-7;

fn numbers(v: Option<&Value>) -> Option<Vec<f32>> {
    match v? {
        Value::Number(n) => Some(vec![n.as_f64()? as f32]),
        Value::Array(a) => a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect(),
        _ => None,
    }
}

/// The rule: applies to `Normalization` layers.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name == "BatchNormalization" {
        return super::batch_renorm::rule(site);
    }
    if site.class_name != "Normalization" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(Outcome::Cannot)
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let rank = shape.len() as i64;
    let axes: Vec<i64> = match site.config.get("axis") {
        None => vec![-1],
        Some(Value::Null) => vec![],
        Some(Value::Number(n)) => vec![n.as_i64().ok_or("axis is not an integer")?],
        Some(Value::Array(a)) => a
            .iter()
            .map(Value::as_i64)
            .collect::<Option<_>>()
            .ok_or("axis is not a list of integers")?,
        Some(other) => return Err(format!("axis {other} is not understood")),
    };
    let mut kept: Vec<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + rank } else { a })
        .collect();
    kept.sort_unstable();
    kept.dedup();
    let axis = match kept.as_slice() {
        [] => rank - 1,
        [a] => *a,
        _ => {
            return Err(format!(
                "its statistics span the axes {axes:?}; BatchNormalization normalizes one axis"
            ))
        }
    };
    if axis <= 0 || axis >= rank {
        return Err(format!("axis {axis} is not a non-batch axis of its input"));
    }
    let n = shape[axis as usize].ok_or("the normalized axis has no fixed size")?;
    let stat = |short: &str| -> Result<Vec<f32>, String> {
        let values = match numbers(site.config.get(short)) {
            Some(v) => v,
            None => match site.weight(short).map(|w| &w.values) {
                Some(TensorValues::Float32(v)) => v.clone(),
                _ => return Err(format!("its {short} is neither in the config nor a weight")),
            },
        };
        match values.len() {
            1 => Ok(vec![values[0]; n]),
            l if l == n => Ok(values),
            l => Err(format!(
                "its {short} has {l} values for an axis of size {n}"
            )),
        }
    };
    let (mean, var) = (stat("mean")?, stat("variance")?);
    let invert = site.field("invert", Value::as_bool) == Some(true);
    let name = site.name;
    let w = |short: &str, v: Vec<f32>| f32_weight(format!("{name}/{short}"), vec![n], v);
    let weights = if invert {
        let scale: Vec<f32> = var.iter().map(|v| v.sqrt().max(EPSILON)).collect();
        vec![
            w("gamma", scale),
            w("beta", mean),
            w("moving_mean", vec![0.0; n]),
            w("moving_variance", vec![1.0; n]),
        ]
    } else {
        let floor = EPSILON * EPSILON;
        let var: Vec<f32> = var
            .iter()
            .map(|&v| if v.sqrt() >= EPSILON { v } else { floor })
            .collect();
        vec![w("moving_mean", mean), w("moving_variance", var)]
    };
    Ok(fixed_batch_norm(site, axis, invert, invert, weights))
}

/// The layer as a TensorFlow.js `BatchNormalization` over `axis` with
/// `epsilon: 0` and the fixed statistics (and `gamma` with `scale`, `beta`
/// with `center`) in `weights`: the inference-time affine map that
/// `Normalization` and `LayerScale` become.
pub(super) fn fixed_batch_norm(
    site: &Site<'_>,
    axis: i64,
    center: bool,
    scale: bool,
    weights: Vec<DecodedWeight>,
) -> Outcome {
    let config = fixed_batch_norm_config(site, axis, center, scale);
    site.as_one("BatchNormalization", config, weights)
}

/// The config of [`fixed_batch_norm`]'s `BatchNormalization`.
pub(super) fn fixed_batch_norm_config(
    site: &Site<'_>,
    axis: i64,
    center: bool,
    scale: bool,
) -> Value {
    json!({
        "axis": axis,
        "momentum": 0.99,
        "epsilon": 0.0,
        "center": center,
        "scale": scale,
        "beta_initializer": {"class_name": "Zeros", "config": {}},
        "gamma_initializer": {"class_name": "Ones", "config": {}},
        "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
        "moving_variance_initializer": {"class_name": "Ones", "config": {}},
        "beta_regularizer": null,
        "gamma_regularizer": null,
        "beta_constraint": null,
        "gamma_constraint": null,
        "trainable": site.config.get("trainable").cloned().unwrap_or(Value::Bool(true)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::Model;

    #[test]
    fn normalization_with_config_statistics_becomes_batch_normalization() {
        let norm = entry_on(
            "norm",
            "Normalization",
            json!({"axis": [-1], "invert": false, "mean": [123.675, 116.28, 103.53],
                   "variance": [3409.976, 3262.694, 0.0]}),
            "x",
        );
        let model = functional(&[2, 2, 3], vec![norm], 1);
        let out = assert_same(&model, &input(&[2, 2, 2, 3]), 1e-6);
        let layer = &out.artifacts.model_topology.as_ref().unwrap()["config"]["layers"][1];
        assert_eq!(layer["class_name"], "BatchNormalization");
        assert_eq!(layer["config"]["epsilon"], 0.0);
    }

    #[test]
    fn normalization_adapted_scalar_and_inverted() {
        // Adapted (weights), on axis 1 of a rank-3 input.
        let adapted = entry_on(
            "adapted",
            "Normalization",
            json!({"axis": [1], "mean": null, "variance": null}),
            "x",
        );
        // Scalar statistics (axis null).
        let scalar = entry_on(
            "scalar",
            "Normalization",
            json!({"axis": null, "mean": 0.5, "variance": 4.0}),
            "adapted",
        );
        let inverted = entry_on(
            "denorm",
            "Normalization",
            json!({"axis": -1, "invert": true, "mean": [10.0, -5.0], "variance": [4.0, 0.25]}),
            "scalar",
        );
        let mut model = functional(&[3, 2], vec![adapted, scalar, inverted], 1);
        // Non-trivial adapted statistics.
        let mut a = model.to_artifacts().unwrap();
        let mut w = tfjs_format::codec::decode_weights(&a.weight_specs, &a.weight_data).unwrap();
        for x in &mut w {
            if let tfjs_format::codec::TensorValues::Float32(v) = &mut x.values {
                match x.name.as_str() {
                    "adapted/mean" => *v = vec![1.0, -2.0, 0.25],
                    "adapted/variance" => *v = vec![2.0, 1e-20, 9.0],
                    _ => {}
                }
            }
        }
        let (specs, bytes) = tfjs_format::codec::encode_weights(&w).unwrap();
        a.weight_specs = specs;
        a.weight_data = tfjs_format::WeightData::from_vec(bytes);
        model = Model::from_artifacts(&a, &Default::default()).unwrap();
        let out = assert_same(&model, &input(&[2, 3, 2]), 1e-6);
        assert_eq!(out.notes.len(), 3, "{:?}", out.notes);
    }

    #[test]
    fn normalization_over_two_axes_is_refused() {
        let norm = entry_on(
            "norm2",
            "Normalization",
            json!({"axis": [1, 2], "mean": 0.0, "variance": 1.0}),
            "x",
        );
        let model = functional(&[2, 3], vec![norm], 1);
        assert_refused(&model, &["`norm2` (Normalization): its statistics span"]);
    }
}
