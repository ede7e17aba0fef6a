//! Bounds by scalar constants, which TensorFlow.js 4.22 has a layer for
//! only at 0 (`ReLU(max_value)`): `tf.clip_by_value(x, lo, hi)` /
//! `ops.clip(x, lo, hi)`, `maximum(x, c)` and `minimum(x, c)` with a
//! scalar `c` (tf_keras's `tf.maximum` / `tf.minimum`, Keras 3's
//! `ops.maximum` / `ops.minimum`) → the bound moved to 0 by a
//! `Rescaling`, `ReLU` (with `max_value` `hi - lo` for a clip), and the
//! bound moved back:
//!
//! - `clip(x, lo, hi)` = `lo + ReLU(max_value = hi - lo)(x - lo)`,
//! - `maximum(x, c)` = `c + ReLU(x - c)`,
//! - `minimum(x, c)` = `c - ReLU(c - x)`.
//!
//! With a bound of 0 the `Rescaling`s are left out and the result is
//! exact (`clip(x, 0, hi)` is the `ReLU` alone, `minimum(x, 0)` is
//! `-ReLU(-x)`); otherwise each `Rescaling` adds one float32 rounding, so
//! the result is within two roundings of `max(|x|, |lo|, |hi|)` (what the
//! tf.* / ops functions compute exactly): the standard of `reduce_sum` as
//! mean × count. A clip whose lower bound is above its upper bound (TF's
//! `min(max(x, lo), hi)` is then `hi` everywhere) is refused.

use super::{entry, entry_on};
use serde_json::{json, Value};

/// The layers computing `x` clipped to `[lo, hi]` (either bound may be
/// absent: `maximum` / `minimum` with a constant), the last named `name`;
/// `x` is an inbound-node tensor entry.
pub(super) fn bounded(
    name: &str,
    x: Value,
    lo: Option<f64>,
    hi: Option<f64>,
) -> Result<Vec<Value>, String> {
    let relu =
        |max: Option<f64>| json!({"max_value": max, "negative_slope": 0.0, "threshold": 0.0});
    let rescaling = |scale: f64, offset: f64| json!({"scale": scale, "offset": offset});
    let (shifted, clipped) = (format!("{name}_shifted"), format!("{name}_clipped"));
    let finite = |v: f64, what: &str| {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("the {what} bound {v} is not finite"))
        }
    };
    Ok(match (lo, hi) {
        (Some(lo), Some(hi)) => {
            let (lo, hi) = (finite(lo, "lower")?, finite(hi, "upper")?);
            if lo > hi {
                return Err(format!(
                    "the lower bound {lo} is above the upper bound {hi} (the result is {hi} \
                     everywhere), which is not rewritten"
                ));
            }
            if lo == 0.0 {
                return Ok(vec![entry(name, "ReLU", relu(Some(hi)), vec![json!([x])])]);
            }
            vec![
                entry(&shifted, "Rescaling", rescaling(1.0, -lo), vec![json!([x])]),
                entry_on(&clipped, "ReLU", relu(Some(hi - lo)), &shifted),
                entry_on(name, "Rescaling", rescaling(1.0, lo), &clipped),
            ]
        }
        (Some(lo), None) => {
            let lo = finite(lo, "lower")?;
            if lo == 0.0 {
                return Ok(vec![entry(name, "ReLU", relu(None), vec![json!([x])])]);
            }
            vec![
                entry(&shifted, "Rescaling", rescaling(1.0, -lo), vec![json!([x])]),
                entry_on(&clipped, "ReLU", relu(None), &shifted),
                entry_on(name, "Rescaling", rescaling(1.0, lo), &clipped),
            ]
        }
        (None, Some(hi)) => {
            let hi = finite(hi, "upper")?;
            vec![
                entry(&shifted, "Rescaling", rescaling(-1.0, hi), vec![json!([x])]),
                entry_on(&clipped, "ReLU", relu(None), &shifted),
                entry_on(name, "Rescaling", rescaling(-1.0, hi), &clipped),
            ]
        }
        (None, None) => vec![entry(
            name,
            "Activation",
            json!({"activation": "linear"}),
            vec![json!([x])],
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    /// Hard-tanh `clip(x, -1, 1)`, a floor before a log (`maximum(x,
    /// 1e-6)`), a cap (`minimum(x, 0.5)`), `minimum(x, 0)`, Keras 3's
    /// `ops.clip` with a negative lower bound: the rewrite matches the
    /// engine's Keras-valued functions within two float32 roundings.
    #[test]
    fn clips_and_scalar_bounds_become_shifted_relus() {
        let layers = vec![
            tf(
                "hardtanh",
                "clip_by_value",
                "x",
                json!({"clip_value_min": -1.0, "clip_value_max": 1.0}),
            ),
            tf("floor", "math.maximum", "hardtanh", json!({"y": 1e-6})),
            tf("cap", "math.minimum", "floor", json!({"y": 0.5})),
            tf("neg", "math.minimum", "x", json!({"y": 0.0})),
            tf(
                "sum",
                "__operators__.add",
                "cap",
                json!({"y": ["neg", 0, 0]}),
            ),
            op(
                "c3",
                "Clip",
                json!({"x_min": -0.25, "x_max": 2.0}),
                json!([["sum", 0, 0]]),
            ),
            op("m3", "Maximum", json!({}), json!([["c3", 0, 0], -0.1])),
        ];
        assert_rewrites(
            &[4, 5],
            layers,
            3,
            1e-6,
            "hardtanh (TFOpLambda) -> Rescaling + ReLU + Rescaling",
        );
    }

    /// `tf.math.reduce_min` (`keepdims`, an inner axis) and Keras 3's
    /// `ops.min` / `ops.amin` are `-max(-x)`; `tf.math.log_sigmoid` and
    /// `ops.log_sigmoid` `-softplus(-x)`; `ops.hard_tanh` `clip(x, -1, 1)`.
    #[test]
    fn reduce_min_log_sigmoid_and_hard_tanh_become_layers() {
        let layers = vec![
            tf(
                "mn",
                "math.reduce_min",
                "x",
                json!({"axis": 1, "keepdims": true}),
            ),
            tf("ls", "math.log_sigmoid", "mn", json!({})),
            op("ht", "HardTanh", json!({}), json!([["ls", 0, 0]])),
            op("lg", "LogSigmoid", json!({}), json!([["ht", 0, 0]])),
            op(
                "m3",
                "Min",
                json!({"axis": -1, "keepdims": true, "initial": null}),
                json!([["x", 0, 0]]),
            ),
            op(
                "a3",
                "Amin",
                json!({"axis": [1], "keepdims": true}),
                json!([["m3", 0, 0]]),
            ),
            entry(
                "cat",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([["lg", 0, 0, {}], ["a3", 0, 0, {}]])],
            ),
        ];
        assert_rewrites(
            &[2, 4, 3],
            layers,
            3,
            1e-6,
            "mn (TFOpLambda) -> Rescaling + GlobalMaxPooling1D + Reshape + Rescaling",
        );
    }

    #[test]
    fn a_clip_with_crossed_bounds_is_refused() {
        let layers = vec![tf(
            "c",
            "clip_by_value",
            "x",
            json!({"clip_value_min": 1.0, "clip_value_max": -1.0}),
        )];
        assert_refused(
            &functional(&[3], layers, 1),
            &["`c` (TFOpLambda)", "above the upper bound"],
        );
    }
}
