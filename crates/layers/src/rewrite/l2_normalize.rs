//! L2 normalization over the last axis (TensorFlow.js 4.22 has no layer
//! for it): the `UnitNormalization` layer, Keras 3's `ops.normalize`
//! (`order` 2) and tf_keras's `tf.math.l2_normalize` (also `tf.nn.` /
//! `tf.linalg.`) → `x` and `-x` joined by `Concatenate`, whose mean is 0
//! and whose variance is `Σx² / C`, through `LayerNormalization` (no
//! centring weight, `gamma` `1/√C`, `epsilon` `floor / C`), then the first
//! half cut out of a `[positions, 2, C]` `Reshape` view by `Cropping2D`:
//! `x / √(Σx² + floor)` against Keras's `x / √max(Σx², floor)`: a
//! relative difference of at most `floor / (2 Σx²)` above the floor (float32
//! rounding for the default epsilons and norms far from 0), and below it
//! within a factor √2 of Keras's tiny outputs (`floor` is
//! `epsilon` for `l2_normalize`, `epsilon²` for Keras 3's `normalize`,
//! whose epsilon bounds the norm: 1e-24 for `UnitNormalization`; tf_keras's
//! `UnitNormalization` is `l2_normalize`'s 1e-12). Other axes and orders
//! stay refused by name.

use super::{entry, f32_weight, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let keras3 = site.dialect.is_keras3();
    let spec = match site.class_name {
        "UnitNormalization" => Some((
            site.config.get("axis").cloned(),
            if keras3 { 1e-24 } else { 1e-12 },
        )),
        "ops.Normalize" => {
            if site
                .config
                .get("order")
                .and_then(Value::as_i64)
                .unwrap_or(2)
                != 2
            {
                return Outcome::Skip;
            }
            let eps = site
                .config
                .get("epsilon")
                .and_then(Value::as_f64)
                .unwrap_or(1e-7);
            Some((site.config.get("axis").cloned(), eps * eps))
        }
        _ => l2_normalize_call(site),
    };
    let Some((axis, floor)) = spec else {
        return Outcome::Skip;
    };
    match rewrite(site, axis, floor) {
        Ok(outcome) => outcome,
        // The function / layer rules refuse it by name.
        Err(_) => Outcome::Skip,
    }
}

/// A `TFOpLambda` `l2_normalize` call's `axis` and `epsilon` (its kwargs).
fn l2_normalize_call(site: &Site<'_>) -> Option<(Option<Value>, f64)> {
    site.function_named(
        &[
            "math.l2_normalize",
            "nn.l2_normalize",
            "linalg.l2_normalize",
        ],
        &[],
    )?;
    let kwargs = site
        .inbound_nodes?
        .first()?
        .as_array()?
        .first()?
        .get(3)?
        .as_object()?;
    let eps = kwargs
        .get("epsilon")
        .and_then(Value::as_f64)
        .unwrap_or(1e-12);
    // `axis=None` normalizes over every axis, batch included: not this rule's.
    let axis = kwargs.get("axis").or_else(|| kwargs.get("dim")).cloned()?;
    Some((Some(axis), eps))
}

fn rewrite(site: &Site<'_>, axis: Option<Value>, floor: f64) -> Result<Outcome, String> {
    let (_, node) = site.first_input("a layer outside a functional model")?;
    let dims = site.static_input()?;
    let rank = dims.len() + 1;
    let last = |a: &Value| a.as_i64().is_some_and(|a| a == -1 || a == rank as i64 - 1);
    let over_last = match &axis {
        None => site.class_name != "TFOpLambda",
        Some(Value::Array(a)) => matches!(a.as_slice(), [a] if last(a)),
        Some(a) => last(a),
    };
    let c = *dims.last().ok_or("a rank-1 input")?;
    if !over_last || c == 0 {
        return Err("not the last axis".into());
    }
    let gamma = vec![1.0 / (c as f32).sqrt(); 2 * c];
    let (layers, weight) = pair_norm(
        site.name,
        node[0].clone(),
        &dims,
        c,
        floor / c as f64,
        gamma,
    );
    site.note(format!(
        "x and -x through LayerNormalization: x / sqrt(sum(x^2) + {floor:e}), Keras's with max() \
         in place of + (relative difference at most {floor:e} / (2 sum(x^2)))"
    ));
    Ok(Outcome::Replace {
        layers,
        weights: vec![weight],
    })
}

/// `x` (an inbound-node tensor entry whose last axis has `c` elements)
/// and `-x` joined by `Concatenate`, through `LayerNormalization` over
/// that axis (no centring weight, `epsilon`, `gamma` of `2c` values), the
/// first half cut out of a `[positions, 2, c]` `Reshape` view by
/// `Cropping2D`, and a `Reshape` to `dims` (the output's non-batch
/// shape), the last layer named `name`: the pair's mean is 0 and its
/// variance `mean(x²)`, so this is `x / √(mean(x²) + epsilon) · gamma`.
pub(super) fn pair_norm(
    name: &str,
    x: Value,
    dims: &[usize],
    c: usize,
    epsilon: f64,
    gamma: Vec<f32>,
) -> (Vec<Value>, DecodedWeight) {
    let positions: usize = dims.iter().product::<usize>() / c;
    let s = |part: &str| format!("{name}_{part}");
    let on = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let layers = vec![
        entry(
            &s("neg"),
            "Rescaling",
            json!({"scale": -1.0, "offset": 0.0}),
            vec![json!([x.clone()])],
        ),
        entry(
            &s("pair"),
            "Concatenate",
            json!({"axis": -1}),
            vec![json!([x, [s("neg"), 0, 0, {}]])],
        ),
        entry(
            &s("norm"),
            "LayerNormalization",
            json!({"axis": -1, "epsilon": epsilon, "center": false, "scale": true,
                   "gamma_initializer": {"class_name": "Ones", "config": {}},
                   "beta_initializer": {"class_name": "Zeros", "config": {}},
                   "gamma_regularizer": null, "beta_regularizer": null,
                   "gamma_constraint": null, "beta_constraint": null}),
            on(&s("pair")),
        ),
        entry(
            &s("halves"),
            "Reshape",
            json!({"target_shape": [positions, 2, c]}),
            on(&s("norm")),
        ),
        entry(
            &s("first"),
            "Cropping2D",
            json!({"cropping": [[0, 0], [0, 1]], "data_format": "channels_last"}),
            on(&s("halves")),
        ),
        entry(
            name,
            "Reshape",
            json!({"target_shape": dims}),
            on(&s("first")),
        ),
    ];
    let weight = f32_weight(format!("{}/gamma", s("norm")), vec![2 * c], gamma);
    (layers, weight)
}

#[cfg(test)]
mod tests {
    use super::super::probes::keras2_call;
    use super::super::test_util::*;

    #[test]
    fn unit_normalization_and_l2_normalize_become_a_layer_normalization_of_x_and_minus_x() {
        for version in ["2.21.0", "3.15.0"] {
            for (shape, axis) in [(vec![2, 5], json!(-1)), (vec![2, 3, 4], json!([2]))] {
                let layers = vec![
                    dense("d", shape[shape.len() - 1], "x"),
                    entry_on("un", "UnitNormalization", json!({ "axis": axis }), "d"),
                ];
                assert_rewrites_from(
                    Some(version),
                    &shape,
                    layers,
                    9,
                    1e-5,
                    "un (UnitNormalization) -> Rescaling",
                );
            }
        }
        let l2 = entry(
            "tf.math.l2_normalize",
            "TFOpLambda",
            json!({"function": "math.l2_normalize"}),
            vec![keras2_call("x", json!({"axis": -1, "epsilon": 1e-12}))],
        );
        assert_rewrites_from(
            Some("2.21.0"),
            &[2, 4, 3],
            vec![l2],
            3,
            1e-5,
            "LayerNormalization",
        );
        let op = entry(
            "normalize",
            "ops.Normalize",
            json!({"axis": -1, "order": 2, "epsilon": null}),
            vec![json!([["x", 0, 0, {}]])],
        );
        assert_rewrites_from(
            Some("3.15.0"),
            &[2, 6],
            vec![op],
            3,
            1e-5,
            "LayerNormalization",
        );
    }

    #[test]
    fn other_axes_stay_refused() {
        let layers = vec![entry_on("un", "UnitNormalization", json!({"axis": 1}), "x")];
        assert_refused(
            &functional(&[3, 4], layers, 1),
            &["`un` (UnitNormalization)"],
        );
    }
}
