//! A mean or max over non-batch axes that no TF.js global pooling layer
//! takes directly (an inner axis of a sequence of vectors, the rows of an
//! image, the last axis, several axes), with `keepdims` false or true, for
//! `tf.reduce_mean` / `tf.reduce_max` and Keras 3's `ops.mean` / `ops.max`
//! ([`super::tf_op_lambda::reduce`] calls it when the plain global pooling
//! does not apply):
//!
//! `Permute` (the reduced axes first after the batch, the others after
//! them in order; left out when already so) → `Reshape([reduced, kept])`
//! (the two products) → `GlobalAveragePooling1D` / `GlobalMaxPooling1D`
//! over the reduced elements → `Reshape` to the kept axes (or to the
//! output with its size-1 axes for `keepdims`; left out when the pooling's
//! `[batch, kept]` is already the output).
//!
//! TF.js's pooling takes the same mean (a sum divided by the count) and
//! max over the same elements; a `[batch]` output (every non-batch axis
//! reduced without `keepdims`) is TF.js's `Reshape([])`. Refused: the
//! batch axis, unknown sizes.

use super::{entry, entry_on};
use serde_json::{json, Value};

/// The layers for `max` (else the mean) over the sorted, non-negative
/// `axes` of an input of `shape` (the batch first), called `name`.
pub(super) fn reduce_layers(
    name: &str,
    x: Value,
    max: bool,
    axes: &[i64],
    shape: &[Option<usize>],
    keepdims: bool,
) -> Result<Vec<Value>, String> {
    let rank = shape.len();
    if axes.contains(&0) {
        return Err("a reduction over the batch axis has no TF.js layer".into());
    }
    if axes.is_empty() || axes.iter().any(|&a| a < 0 || a as usize >= rank) {
        return Err(format!("axes {axes:?} of a rank-{rank} input"));
    }
    let dims = shape[1..]
        .iter()
        .map(|d| d.ok_or("its input shape is not fully known"))
        .collect::<Result<Vec<usize>, _>>()?;
    let reduced: Vec<usize> = axes.iter().map(|&a| a as usize).collect();
    let kept: Vec<usize> = (1..rank).filter(|a| !reduced.contains(a)).collect();
    let size = |axes: &[usize]| axes.iter().map(|&a| dims[a - 1]).product::<usize>();
    let (n_reduced, n_kept) = (size(&reduced), size(&kept));
    let mut layers = Vec::new();
    let mut from = None::<String>;
    let mut add = |layers: &mut Vec<Value>, suffix: &str, class: &str, config: Value| {
        let layer = format!("{name}{suffix}");
        layers.push(match &from {
            None => entry(&layer, class, config, vec![json!([x.clone()])]),
            Some(f) => entry_on(&layer, class, config, f),
        });
        from = Some(layer);
    };
    let perm: Vec<usize> = reduced.iter().chain(&kept).copied().collect();
    if perm.iter().enumerate().any(|(i, &a)| a != i + 1) {
        add(&mut layers, "_permute", "Permute", json!({"dims": perm}));
    }
    // The permuted shape is [reduced…, kept…]; one reduced axis and one
    // kept axis are already [reduced, kept].
    if !(reduced.len() == 1 && kept.len() == 1) {
        add(
            &mut layers,
            "_flat",
            "Reshape",
            json!({"target_shape": [n_reduced, n_kept]}),
        );
    }
    let pool = if max {
        "GlobalMaxPooling1D"
    } else {
        "GlobalAveragePooling1D"
    };
    let target: Vec<usize> = if keepdims {
        (1..rank)
            .map(|a| if reduced.contains(&a) { 1 } else { dims[a - 1] })
            .collect()
    } else {
        kept.iter().map(|&a| dims[a - 1]).collect()
    };
    if target.len() == 1 && target[0] == n_kept {
        add(
            &mut layers,
            "",
            pool,
            json!({"data_format": "channels_last"}),
        );
    } else {
        add(
            &mut layers,
            "_pool",
            pool,
            json!({"data_format": "channels_last"}),
        );
        add(&mut layers, "", "Reshape", json!({"target_shape": target}));
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;
    use serde_json::json;

    /// Sums (`tf.reduce_sum`, Keras 3's `ops.sum`) are the mean times the
    /// count, over global-pooling axes and others, with `keepdims` too.
    #[test]
    fn sums_are_the_mean_times_the_count() {
        for kwargs in [
            json!({"axis": 1}),
            json!({"axis": -1, "keepdims": true}),
            json!({"axis": [1, 2]}),
        ] {
            let layers = vec![tf("s", "math.reduce_sum", "x", kwargs)];
            assert_rewrites(&[2, 3, 4, 5], layers, 7, 1e-6, "the mean times the count");
        }
        let layers = vec![op(
            "s",
            "Sum",
            json!({"axis": [2], "keepdims": false}),
            json!([["x", 0, 0]]),
        )];
        assert_rewrites(&[2, 3, 4], layers, 7, 1e-6, "the mean times the count");
        // Over every axis, batch included: refused.
        let layers = vec![tf("s", "math.reduce_sum", "x", json!({}))];
        assert_refused(&functional(&[3], layers, 1), &["`s` (TFOpLambda)"]);
    }

    /// Means and maxes over an inner axis, the last axis, two axes and
    /// every non-batch axis (with `keepdims`), of `tf.reduce_*` and Keras
    /// 3's `ops.mean` / `ops.max`, predict what the engine's reductions do.
    #[test]
    fn reductions_over_other_axes_become_permute_reshape_and_1d_pooling() {
        for (function, kwargs, note) in [
            (
                "math.reduce_mean",
                json!({"axis": 2}),
                "m (TFOpLambda) -> Permute + Reshape + GlobalAveragePooling1D + Reshape",
            ),
            (
                "math.reduce_mean",
                json!({"axis": -2, "keepdims": true}),
                "m (TFOpLambda) -> Permute + Reshape + GlobalAveragePooling1D + Reshape",
            ),
            (
                "math.reduce_max",
                json!({"axis": [1, 3]}),
                "m (TFOpLambda) -> Permute + Reshape + GlobalMaxPooling1D",
            ),
            (
                "math.reduce_mean",
                json!({"axis": -1}),
                "m (TFOpLambda) -> Permute + Reshape + GlobalAveragePooling1D + Reshape",
            ),
            (
                "math.reduce_mean",
                json!({"axis": [1, 2, 3], "keepdims": true}),
                "m (TFOpLambda) -> Reshape + GlobalAveragePooling1D + Reshape",
            ),
        ] {
            let layers = vec![tf("m", function, "x", kwargs)];
            assert_rewrites(&[2, 3, 4, 5], layers, 7, 1e-6, note);
        }
        // One reduced and one kept axis need no Reshape before the pooling.
        let layers = vec![tf("m", "math.reduce_mean", "x", json!({"axis": 2}))];
        assert_rewrites(
            &[2, 3, 4],
            layers,
            7,
            1e-6,
            "m (TFOpLambda) -> Permute + GlobalAveragePooling1D",
        );
        for (class, config, note) in [
            (
                "Mean",
                json!({"axis": 1, "keepdims": true}),
                "m (ops.Mean) -> Reshape + GlobalAveragePooling1D + Reshape",
            ),
            (
                "Max",
                json!({"axis": [2, 3], "keepdims": false}),
                "m (ops.Max) -> Permute + Reshape + GlobalMaxPooling1D",
            ),
        ] {
            let layers = vec![op("m", class, config, json!([["x", 0, 0]]))];
            assert_rewrites(&[2, 3, 4, 5], layers, 7, 1e-6, note);
        }
    }

    #[test]
    fn reductions_over_the_batch_are_refused_and_to_one_value_per_sample_reshaped() {
        let layers = vec![tf("m", "math.reduce_mean", "x", json!({"axis": 0}))];
        let model = functional(&[3, 4], layers, 7);
        assert_refused(
            &model,
            &["`m` (TFOpLambda): tf.math.reduce_mean", "the batch axis"],
        );
        // Every non-batch axis: a [batch] output, TF.js's Reshape([]).
        let layers = vec![tf("m", "math.reduce_mean", "x", json!({"axis": [1, 2]}))];
        assert_rewrites(
            &[2, 3, 4],
            layers,
            7,
            1e-6,
            "GlobalAveragePooling1D + Reshape",
        );
    }

    /// A transpose without a permutation moves the batch axis last.
    #[test]
    fn transposes_without_a_permutation_are_refused() {
        let layers = vec![tf("t", "compat.v1.transpose", "x", json!({"perm": null}))];
        let model = functional(&[3, 4], layers, 7);
        assert_refused(
            &model,
            &[
                "`t` (TFOpLambda)",
                "reverses every axis of its rank-3 input",
            ],
        );
        let layers = vec![op(
            "t",
            "Transpose",
            json!({"axes": null}),
            json!([["x", 0, 0]]),
        )];
        let model = functional(&[3, 4], layers, 7);
        assert_refused(
            &model,
            &["`t` (ops.Transpose)", "moving the batch axis last"],
        );
    }
}
