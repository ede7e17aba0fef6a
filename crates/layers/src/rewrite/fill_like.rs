//! A constant of a tensor's shape, which TensorFlow.js 4.22 has no layer
//! for: tf_keras's `tf.zeros_like` / `tf.ones_like` (TF 1's
//! `compat.v1.` spellings too), Keras 3's `ops.zeros_like` /
//! `ops.ones_like` / `ops.full_like(x, c)` with a scalar `c`, of a float
//! result → `Rescaling(scale 0, offset c)`: `x · 0 + c`, exactly `c` for
//! every finite `x` (TF.js computes `NaN` where `x` is infinite or `NaN`,
//! which TF's constant does not). Integer and boolean results stay
//! refused by name (TF.js's `Rescaling` makes float32).

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(
        &[
            "zeros_like",
            "ones_like",
            "compat.v1.zeros_like",
            "compat.v1.ones_like",
        ],
        &["ops.ZerosLike", "ops.OnesLike", "ops.FullLike"],
    ) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let kwargs = first.get(3);
    let dtype = if site.class_name == "TFOpLambda" {
        kwargs.and_then(|k| k.get("dtype"))
    } else {
        site.config.get("dtype")
    };
    if let Some(d) = dtype.and_then(Value::as_str) {
        if !matches!(d, "float32" | "float16" | "bfloat16" | "float64") {
            return Err(format!("a {d} result is not rewritten (float32 only)"));
        }
    }
    let function = site.field("function", Value::as_str).unwrap_or("");
    let fill = match site.class_name {
        "ops.ZerosLike" => 0.0,
        "ops.OnesLike" => 1.0,
        "ops.FullLike" => kwargs
            .and_then(|k| k.get("_args"))
            .and_then(|a| a.get(1))
            .and_then(Value::as_f64)
            .ok_or("its fill value is not a constant number")?,
        _ if function.ends_with("ones_like") => 1.0,
        _ => 0.0,
    };
    site.note("a constant like x as Rescaling(0, c) (exact for finite x)");
    Ok(Outcome::weightless(vec![entry(
        site.name,
        "Rescaling",
        json!({"scale": 0.0, "offset": fill}),
        vec![node],
    )]))
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    #[test]
    fn zeros_ones_and_full_like_become_rescaling_by_zero() {
        let layers = vec![
            tf("z", "zeros_like", "x", json!({"dtype": null})),
            tf("o", "ones_like", "x", json!({})),
            op(
                "f",
                "FullLike",
                json!({"dtype": null}),
                json!([["x", 0, 0], 0.5]),
            ),
            op(
                "o3",
                "OnesLike",
                json!({"dtype": null}),
                json!([["f", 0, 0]]),
            ),
            tf("a", "__operators__.add", "z", json!({"y": ["o", 0, 0]})),
            tf("b", "__operators__.add", "a", json!({"y": ["o3", 0, 0]})),
        ];
        assert_rewrites(&[2, 3], layers, 3, 0.0, "z (TFOpLambda) -> Rescaling");
    }

    #[test]
    fn an_integer_result_is_refused() {
        let layers = vec![op(
            "o",
            "OnesLike",
            json!({"dtype": "int32"}),
            json!([["x", 0, 0]]),
        )];
        assert_refused(
            &functional(&[3], layers, 1),
            &["`o` (ops.OnesLike)", "int32"],
        );
    }
}
