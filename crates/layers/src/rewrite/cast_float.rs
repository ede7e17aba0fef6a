//! A cast to `float32` (`tf.cast(x, "float32")` as a `TFOpLambda`, Keras
//! 3's `ops.cast`) → `Rescaling(scale 1, offset 0)`: TF.js's `Rescaling`
//! casts a non-float input to float32 first and `x·1 + 0` is `x` for every
//! float, so the numbers are Keras's exactly (an int32 id, a float
//! already). Casts to other dtypes (truncation to integers, float16
//! rounding) are left to the function rules, which refuse them by name.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let to = match site.class_name {
        "ops.Cast" => site.field("dtype", Value::as_str),
        "TFOpLambda" if site.field("function", Value::as_str) == Some("cast") => site
            .inbound_nodes
            .and_then(|n| n.first())
            .and_then(|n| n.pointer("/0/3/dtype"))
            .and_then(Value::as_str),
        _ => return Outcome::Skip,
    };
    if to != Some("float32") {
        return Outcome::Skip;
    }
    let Ok((_, node)) = site.first_input("a layer outside a functional model") else {
        return Outcome::Skip;
    };
    site.note("a cast to float32: TF.js's Rescaling casts, and x*1 + 0 is x");
    Outcome::weightless(vec![entry(
        site.name,
        "Rescaling",
        json!({"scale": 1.0, "offset": 0.0}),
        vec![node],
    )])
}

#[cfg(test)]
mod tests {
    use super::super::probes::keras2_call;
    use super::super::test_util::*;

    #[test]
    fn a_cast_to_float32_becomes_an_identity_rescaling() {
        let cast = entry(
            "tf.cast",
            "TFOpLambda",
            json!({"function": "cast"}),
            vec![keras2_call("x", json!({"dtype": "float32"}))],
        );
        assert_rewrites_from(
            Some("2.21.0"),
            &[2, 3],
            vec![cast],
            1,
            0.0,
            "tf.cast (TFOpLambda) -> Rescaling",
        );
        let op = entry(
            "cast",
            "ops.Cast",
            json!({"dtype": "float32"}),
            vec![json!([["x", 0, 0, {}]])],
        );
        assert_rewrites_from(
            Some("3.15.0"),
            &[2, 3],
            vec![op],
            1,
            0.0,
            "cast (ops.Cast) -> Rescaling",
        );
        // To int32 it truncates: refused by the function rules.
        let int = entry(
            "tf.cast",
            "TFOpLambda",
            json!({"function": "cast"}),
            vec![keras2_call("x", json!({"dtype": "int32"}))],
        );
        assert_refused(
            &functional_from(&[3], vec![int], 1, Some("2.21.0")),
            &["`tf.cast` (TFOpLambda)"],
        );
    }
}
