//! `GroupNormalization` over the last axis (TensorFlow.js 4.22 has no such
//! layer) → `Reshape` to `[positions, groups, channels per group]` (every
//! position of every non-batch axis but the channels in one axis, which
//! keeps the view at rank 4: TF.js's `LayerNormalization` normalizes
//! through a batch norm of rank 4 at most) + `LayerNormalization` over
//! axes 1 and 3 without its own scale or offset (each group's mean and
//! variance over its positions and channels, as Keras's moments) +
//! `Reshape` to `[positions, channels]` + the per-channel `gamma` / `beta`
//! as a `BatchNormalization` with `moving_mean` 0, `moving_variance` 1
//! and `epsilon` 0 (`x · gamma + beta`) + `Reshape` back. The same
//! arithmetic up to float32 rounding (Keras folds `gamma` into the
//! reciprocal square root first). Another axis (channels first) is
//! refused.

use super::{entry, f32_weight, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "GroupNormalization" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("GroupNormalization: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let shape = site.static_input()?;
    let rank = shape.len() + 1;
    let axis = site
        .config
        .get("axis")
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    if axis != -1 && axis != rank as i64 - 1 {
        return Err(format!(
            "axis {axis} (not the last) is not rewritten (TF.js has no GroupNormalization)"
        ));
    }
    let (&channels, positions) = shape.split_last().ok_or("its input has no channels")?;
    let positions: usize = positions.iter().product();
    let groups = match site.config.get("groups").and_then(Value::as_i64) {
        Some(g) if g > 0 && channels % g as usize == 0 => g as usize,
        g => return Err(format!("groups {g:?} does not divide {channels} channels")),
    };
    let per_group = channels / groups;
    let epsilon = site
        .config
        .get("epsilon")
        .and_then(Value::as_f64)
        .unwrap_or(1e-3);
    let flag = |k: &str| site.config.get(k).and_then(Value::as_bool).unwrap_or(true);
    let (center, scale) = (flag("center"), flag("scale"));
    let (_, node) = site.first_input("outside a functional model")?;
    let name = site.name;
    let step = |suffix: &str| format!("{name}_{suffix}");
    let on = |n: String| json!([[n, 0, 0, {}]]);
    let mut layers = vec![
        entry(
            &step("groups"),
            "Reshape",
            json!({ "target_shape": [positions, groups, per_group] }),
            vec![node],
        ),
        entry(
            &step("norm"),
            "LayerNormalization",
            json!({"axis": [1, 3], "epsilon": epsilon, "center": false, "scale": false,
                   "beta_initializer": {"class_name": "Zeros", "config": {}},
                   "gamma_initializer": {"class_name": "Ones", "config": {}},
                   "beta_regularizer": null, "gamma_regularizer": null,
                   "beta_constraint": null, "gamma_constraint": null}),
            vec![on(step("groups"))],
        ),
        entry(
            &step("channels"),
            "Reshape",
            json!({ "target_shape": [positions, channels] }),
            vec![on(step("norm"))],
        ),
    ];
    let mut last = step("channels");
    let mut weights = Vec::new();
    if center || scale {
        let affine = step("affine");
        let values = |short: &str| -> Result<Vec<f32>, String> {
            let (s, v) = site.f32_weight(short)?;
            if s != [channels] {
                return Err(format!("its {short} has shape {s:?}, not [{channels}]"));
            }
            Ok(v.to_vec())
        };
        let w =
            |short: &str, v: Vec<f32>| f32_weight(format!("{affine}/{short}"), vec![channels], v);
        if scale {
            weights.push(w("gamma", values("gamma")?));
        }
        if center {
            weights.push(w("beta", values("beta")?));
        }
        weights.push(w("moving_mean", vec![0.0; channels]));
        weights.push(w("moving_variance", vec![1.0; channels]));
        let config = super::normalization::fixed_batch_norm_config(site, -1, center, scale);
        layers.push(entry(&affine, "BatchNormalization", config, vec![on(last)]));
        last = affine;
    }
    layers.push(entry(
        name,
        "Reshape",
        json!({ "target_shape": shape }),
        vec![on(last)],
    ));
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn group_normalization_becomes_layer_normalization_of_a_grouped_view() {
        // Images, sequences and volumes; groups, instance (one channel
        // each) and layer (one group).
        for (shape, groups) in [
            (vec![2, 3, 4, 6], 3),
            (vec![2, 5, 4], 4),
            (vec![2, 2, 3, 2, 4], 1),
        ] {
            let layers = vec![entry_on(
                "gn",
                "GroupNormalization",
                json!({"groups": groups, "axis": -1, "epsilon": 1e-3}),
                "x",
            )];
            assert_rewrites(
                &shape,
                layers,
                9,
                1e-5,
                "gn (GroupNormalization) -> Reshape + LayerNormalization",
            );
        }
    }
}
