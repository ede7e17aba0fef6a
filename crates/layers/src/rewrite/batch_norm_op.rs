//! Keras 3's `ops.nn.batch_normalization(x, mean, variance, axis, offset,
//! scale, epsilon)` with constant statistics (a `BatchNorm` node) → a
//! `BatchNormalization` over `axis` holding them as `moving_mean` /
//! `moving_variance` / `beta` / `gamma` with that `epsilon`: the same
//! function (TF.js computes
//! `(x - mean) / sqrt(variance + epsilon) · gamma + beta`, Keras
//! `x · inv + (offset - mean · inv)`: equal up to float32 rounding). Over the last axis only: a `BatchNormalization` over an
//! inner axis gave other numbers in TF.js 4.22.

use super::{f32_weight, Outcome, Site};
use serde_json::Value;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "ops.BatchNorm" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("keras.ops BatchNorm: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let args = first
        .get(3)
        .and_then(|k| k.get("_args"))
        .and_then(Value::as_array)
        .ok_or("the call's arguments are not recorded")?;
    let vector = |i: usize| -> Result<Option<Vec<f32>>, String> {
        match args.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .pointer("/config/value")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(|x| x.as_f64().map(|x| x as f32)).collect())
                .map(Some)
                .ok_or_else(|| "its statistics are not constant vectors".to_string()),
        }
    };
    let (mean, variance) = match (vector(1)?, vector(2)?) {
        (Some(m), Some(v)) if m.len() == v.len() => (m, v),
        _ => return Err("its mean and variance are not constant vectors of one length".into()),
    };
    let (offset, scale) = (vector(3)?, vector(4)?);
    let n = mean.len();
    let axis = site
        .config
        .get("axis")
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    let rank = site.static_input()?.len() + 1;
    if axis != -1 && axis != rank as i64 - 1 {
        // (Loaded unrewritten that way, TF.js 4.22 computed other numbers.)
        return Err(format!(
            "axis {axis} (not the last) is not rewritten: TensorFlow.js 4.22's BatchNormalization \
             over an inner axis computes other numbers"
        ));
    }
    let epsilon = site
        .config
        .get("epsilon")
        .and_then(Value::as_f64)
        .unwrap_or(1e-3);
    let name = site.name;
    let w = |short: &str, v: Vec<f32>| f32_weight(format!("{name}/{short}"), vec![n], v);
    let mut weights = Vec::new();
    let (center, scaled) = (offset.is_some(), scale.is_some());
    if let Some(s) = scale {
        weights.push(w("gamma", s));
    }
    if let Some(o) = offset {
        weights.push(w("beta", o));
    }
    weights.push(w("moving_mean", mean));
    weights.push(w("moving_variance", variance));
    let mut config = super::normalization::fixed_batch_norm_config(site, axis, center, scaled);
    config["epsilon"] = serde_json::json!(epsilon);
    Ok(Outcome::Replace {
        layers: vec![super::entry(name, "BatchNormalization", config, vec![node])],
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;

    #[test]
    fn batch_norm_op_becomes_batch_normalization() {
        let numpy = |v: serde_json::Value| json!({"class_name": "__numpy__", "config": {"value": v, "dtype": "float32"}});
        let layers = vec![op(
            "bn",
            "BatchNorm",
            json!({"axis": -1, "epsilon": 1e-3}),
            json!([
                ["x", 0, 0],
                numpy(json!([0.1, -0.2, 0.3])),
                numpy(json!([1.5, 0.5, 2.0])),
                numpy(json!([0.0, 0.5, -0.5])),
                numpy(json!([2.0, 1.0, 0.5]))
            ]),
        )];
        assert_rewrites(
            &[4, 2, 3],
            layers,
            3,
            1e-6,
            "bn (ops.BatchNorm) -> BatchNormalization",
        );
        let inner = vec![op(
            "bn1",
            "BatchNorm",
            json!({"axis": 1, "epsilon": 1e-3}),
            json!([
                ["x", 0, 0],
                numpy(json!([-0.5, 0.5])),
                numpy(json!([0.5, 1.5])),
                null,
                null
            ]),
        )];
        assert_refused(
            &functional(&[2, 3], inner, 3),
            &["`bn1` (ops.BatchNorm): keras.ops BatchNorm: axis 1 (not the last)"],
        );
    }
}
