//! `BatchNormalization` over several axes (tf_keras `axis=[1, 3]`), or
//! over one axis other than the last (`axis=1` of a sequence or an image):
//! TensorFlow.js 4.22's layer takes one axis and refuses the file for
//! several (`Axis 1,3 of input tensor should have a defined dimension`),
//! and normalizes one inner axis with the wrong statistics (its broadcast
//! path: checked in TF.js 4.22 on rank 3, axis 1 and rank 4, axes 1 and 2,
//! every value off). Each element is normalized by its own statistics
//! (`(x - mean) · gamma / sqrt(var + ε) + beta`, one value per position
//! along those axes), so it is the same as a `BatchNormalization` over the
//! last axis holding those positions: the softmax chain of
//! `softmax_axes.rs` (`Permute` the other axes first, `Reshape` merging
//! the normalized axes last, the layer over `axis: -1`, `Reshape` and
//! `Permute` back). tf_keras keeps several axes' parameters as `[1, d1, 1,
//! d3]` (the normalized axes in order), the merged axis' order: their
//! values are written as one axis of `d1 · d3`. Refused when the chain's
//! view would exceed TF.js's rank 4.

use super::softmax_axes::merged_axes_chain;
use super::{chain_entries, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "BatchNormalization" {
        return Outcome::Skip;
    }
    let axes = match site.config.get("axis") {
        Some(Value::Array(a)) => a.clone(),
        Some(v) if v.is_i64() => vec![v.clone()],
        _ => return Outcome::Skip,
    };
    let rank = site
        .shapes
        .and_then(|s| s.inputs.first())
        .map_or(0, Vec::len) as i64;
    let last = |a: &Value| a.as_i64().is_some_and(|a| a == -1 || a == rank - 1);
    // One axis of an input of unknown rank stays as it was.
    if matches!(&axes[..], [a] if last(a) || rank == 0) {
        return Outcome::Skip;
    }
    rewrite(site, &axes).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "axis {} (TensorFlow.js 4.22's BatchNormalization normalizes over the last axis \
             only) and no view with it last: {why}",
            Value::Array(axes.clone())
        ))
    })
}

fn rewrite(site: &Site<'_>, axes: &[Value]) -> Result<Outcome, String> {
    let dims = site.static_input()?;
    // The view: the batch, the other axes, the merged one.
    let view_rank = 2 + dims.len().saturating_sub(axes.len());
    if view_rank > 4 {
        return Err(format!(
            "a rank-{view_rank} view (TensorFlow.js 4.22's batchNormalization stops at rank 4)"
        ));
    }
    let inner = ("BatchNormalization", site.config_with("axis", json!(-1)));
    let (steps, inner_name) = merged_axes_chain(site, axes, inner)?;
    let node = site.single_call("its rewrite needs several layers")?;
    let mut weights = site.weights_under(&inner_name);
    for w in &mut weights {
        w.shape = vec![w.shape.iter().product()];
    }
    Ok(Outcome::Replace {
        layers: chain_entries(node, steps),
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn batch_norm_over_inner_axes_is_one_over_the_last() {
        for (shape, axis, note) in [
            (
                vec![2, 4, 5, 3],
                json!([1, 3]),
                "Permute + Reshape + BatchNormalization + Reshape + Permute",
            ),
            (
                vec![2, 4, 5, 3],
                json!([2, 3]),
                "Reshape + BatchNormalization + Reshape",
            ),
            // One inner axis (TF.js 4.22 normalizes it otherwise).
            (
                vec![2, 4, 5, 3],
                json!(1),
                "Permute + Reshape + BatchNormalization + Reshape + Permute",
            ),
            (
                vec![2, 4, 3],
                json!([1]),
                "Permute + Reshape + BatchNormalization + Reshape + Permute",
            ),
        ] {
            let layers = vec![entry_on(
                "bn",
                "BatchNormalization",
                json!({"axis": axis, "epsilon": 0.01}),
                "x",
            )];
            assert_rewrites(
                &shape,
                layers,
                3,
                1e-6,
                &format!("bn (BatchNormalization) -> {note}"),
            );
        }
    }

    #[test]
    fn a_view_past_rank_4_is_refused() {
        let layers = vec![entry_on(
            "bn",
            "BatchNormalization",
            json!({"axis": [1, 5], "epsilon": 0.001}),
            "x",
        )];
        let model = functional(&[2, 2, 2, 2, 3], layers, 4);
        assert_refused(&model, &["`bn` (BatchNormalization): axis [1,5]"]);
        // The last axis stays.
        let layers = vec![entry_on(
            "bn",
            "BatchNormalization",
            json!({"axis": [2]}),
            "x",
        )];
        assert_same(&functional(&[4, 3], layers, 4), &input(&[2, 4, 3]), 0.0);
    }
}
