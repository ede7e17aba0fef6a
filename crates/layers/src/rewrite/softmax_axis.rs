//! `Softmax` over one axis other than the last: TensorFlow.js 4.22's
//! kernel refuses it ("Softmax along a non-last dimension is not yet
//! supported"). Rewritten as `Permute` (swap the axis with the last),
//! `Softmax` over the last axis, and the same `Permute` back: the same
//! values are normalized together, exactly.

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Softmax" {
        return Outcome::Skip;
    }
    let axis = match site.config.get("axis") {
        None | Some(Value::Null) => return Outcome::Skip,
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
        // Several axes: `softmax_axes`.
        Some(Value::Array(_)) => return Outcome::Skip,
        Some(v) => v.as_i64(),
    };
    let Some(axis) = axis else {
        return Outcome::Cannot("its axis is not an integer".into());
    };
    let Some(rank) = site.shapes.and_then(|s| s.inputs.first()).map(Vec::len) else {
        return if axis == -1 {
            Outcome::Skip
        } else {
            Outcome::Cannot("its input rank is unknown".into())
        };
    };
    let axis = if axis < 0 { axis + rank as i64 } else { axis };
    if axis == rank as i64 - 1 {
        return Outcome::Skip;
    }
    if axis < 1 || axis >= rank as i64 {
        return Outcome::Cannot(format!(
            "axis {axis} of a rank-{rank} input is not a feature axis"
        ));
    }
    let node = match site.single_call("its rewrite needs several layers") {
        Ok(n) => n,
        Err(why) => return Outcome::Cannot(why),
    };
    Outcome::weightless(chain(site.name, node.clone(), axis as usize, rank))
}

/// The `Permute` + last-axis `Softmax` + `Permute` layers computing a
/// softmax over the inner `axis` (1 ≤ axis < rank - 1, counting the batch
/// axis) of a rank-`rank` tensor read from `node` (an inbound node list);
/// the last layer is named `name`. Also used for `tf.nn.softmax(axis=)` /
/// `ops.softmax(axis=)` ([`inner_axis_of`]).
pub(super) fn chain(name: &str, node: Value, axis: usize, rank: usize) -> Vec<Value> {
    chain_of(name, node, axis, rank, "Softmax", json!({"axis": -1}))
}

/// [`chain`] around any last-axis layer (`class`, `config`): the
/// log-softmax `Activation` too.
pub(super) fn chain_of(
    name: &str,
    node: Value,
    axis: usize,
    rank: usize,
    class: &str,
    config: Value,
) -> Vec<Value> {
    // Permute's dims count the non-batch axes from 1.
    let mut dims: Vec<i64> = (1..rank as i64).collect();
    dims.swap(axis - 1, rank - 2);
    let (there, inner) = (format!("{name}_to_last"), format!("{name}_last"));
    vec![
        entry(&there, "Permute", json!({"dims": dims}), vec![node]),
        entry_on(&inner, class, config, &there),
        entry_on(name, "Permute", json!({"dims": dims}), &inner),
    ]
}

/// `axis` of the site's first input as an inner axis for [`chain`] (with
/// the input's rank), or `None` when it is the last axis or the rank is
/// unknown.
pub(super) fn inner_axis_of(site: &Site<'_>, axis: i64) -> Option<(usize, usize)> {
    let rank = site.shapes.and_then(|s| s.inputs.first()).map(Vec::len)?;
    let axis = if axis < 0 { axis + rank as i64 } else { axis };
    (axis >= 1 && axis < rank as i64 - 1).then_some((axis as usize, rank))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_softmax_over_an_inner_axis_is_permuted_to_the_last() {
        for axis in [json!(-2), json!(1), json!([2])] {
            let layers = vec![entry_on("sm", "Softmax", json!({ "axis": axis }), "x")];
            assert_rewrites(
                &[2, 3, 4, 5],
                layers,
                1,
                1e-6,
                "sm (Softmax) -> Permute + Softmax + Permute",
            );
        }
        // `tf.nn.softmax(x, axis=1)` (integral pose regression's spatial
        // softmax over flattened heatmaps) takes the same chain.
        let layers = vec![super::super::probes::tf(
            "sm",
            "nn.softmax",
            "x",
            json!({"axis": 1}),
        )];
        assert_rewrites(
            &[2, 5, 3],
            layers,
            1,
            1e-6,
            "sm (TFOpLambda) -> Permute + Softmax + Permute",
        );
        let layers = vec![entry_on("sm", "Softmax", json!({"axis": -1}), "x")];
        let model = functional(&[3, 4], layers, 1);
        assert!(assert_same(&model, &input(&[2, 3, 4]), 0.0)
            .notes
            .is_empty());
    }
}
