//! `Reshape` with an inferred (`-1`) dimension: TensorFlow.js 4.22's
//! `computeOutputShape` counts the (unknown) batch dimension as an unknown
//! input dimension, so the inferred one stays unknown in the symbolic
//! shape and a later `Flatten` or `Dense` refuses to build ("The shape of
//! the input to \"Flatten\" is not fully defined"). With a static input
//! shape the inferred dimension is known: it is written out.

use super::{Outcome, Site};
use serde_json::Value;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Reshape" {
        return Outcome::Skip;
    }
    let Some(Value::Array(target)) = site.config.get("target_shape") else {
        return Outcome::Skip;
    };
    let inferred = |d: &Value| d.is_null() || d.as_i64().is_some_and(|n| n < 0);
    if !target.iter().any(inferred) {
        return Outcome::Skip;
    }
    // Without a static output shape TF.js infers no more than before:
    // keep the layer (it still computes the same numbers).
    let Some(out) = site.shapes.and_then(|s| s.outputs.first()) else {
        return Outcome::Skip;
    };
    let Some(dims) = out[1..].iter().copied().collect::<Option<Vec<usize>>>() else {
        return Outcome::Skip;
    };
    if dims.len() != target.len() {
        return Outcome::Skip;
    }
    site.as_one(
        "Reshape",
        site.config_with("target_shape", Value::from(dims)),
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn an_inferred_reshape_dimension_is_written_out() {
        let layers = vec![
            entry_on("r", "Reshape", json!({"target_shape": [-1, 4]}), "x"),
            entry_on("f", "Flatten", json!({}), "r"),
        ];
        let model = functional(&[3, 4, 2], layers, 1);
        let out = assert_same(&model, &input(&[2, 3, 4, 2]), 0.0);
        let t = out.artifacts.model_topology.as_ref().unwrap().to_string();
        assert!(t.contains(r#""target_shape":[6,4]"#), "{t}");
        assert_note(&out, "r (Reshape) -> Reshape");
    }
}
