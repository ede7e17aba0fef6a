//! `|x|` (Keras 2's `tf.math.abs` / Python's `abs()`, Keras 3's
//! `ops.Absolute`), which TensorFlow.js 4.22 has no layer for →
//! `ReLU(x)` + `ReLU(Rescaling(-1)(x))` joined by `Add`: one of the two is
//! 0 and the other `|x|`, so the sum is `|x|` exactly.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["math.abs", "abs"], &["ops.Absolute", "ops.Abs"]) else {
        return Outcome::Skip;
    };
    match site.first_input("outside a functional model") {
        Ok((_, node)) => Outcome::weightless(abs_chain(site.name, node)),
        Err(why) => Outcome::Cannot(format!("{what}: {why}")),
    }
}

/// The layers computing `|x|` of the inbound node `node`, the last named
/// `name`.
pub(super) fn abs_chain(name: &str, node: Value) -> Vec<Value> {
    let relu = json!({"max_value": null, "negative_slope": 0.0, "threshold": 0.0});
    let step = |suffix: &str| format!("{name}_{suffix}");
    let r = |n: String| json!([n, 0, 0, {}]);
    vec![
        entry(&step("pos"), "ReLU", relu.clone(), vec![node.clone()]),
        entry(
            &step("negated"),
            "Rescaling",
            json!({"scale": -1.0, "offset": 0.0}),
            vec![node],
        ),
        entry(
            &step("neg"),
            "ReLU",
            relu,
            vec![json!([r(step("negated"))])],
        ),
        entry(
            name,
            "Add",
            json!({}),
            vec![json!([r(step("pos")), r(step("neg"))])],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    #[test]
    fn abs_becomes_two_relus_and_add() {
        let layers = vec![
            tf("a", "math.abs", "x", json!({})),
            entry_on("d", "Dense", json!({"units": 2}), "a"),
            op("b", "Absolute", json!({}), json!([["d", 0, 0]])),
        ];
        assert_rewrites(
            &[4, 3],
            layers,
            5,
            0.0,
            "a (TFOpLambda) -> ReLU + Rescaling + ReLU + Add",
        );
    }
}
