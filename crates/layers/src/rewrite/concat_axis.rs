//! `Concatenate` along a negative axis other than -1: TensorFlow.js 4.22's
//! `concatenate` backend turns every negative axis into the last one
//! (`axis = rank`), so `axis: -2` joins along the last axis, while its
//! shape inference uses the right one. Rewritten with the axis counted
//! from the front (`axis + rank`), which TF.js honours.

use super::{Outcome, Site};
use serde_json::Value;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Concatenate" {
        return Outcome::Skip;
    }
    let axis = site.field("axis", Value::as_i64).unwrap_or(-1);
    if axis >= -1 {
        return Outcome::Skip;
    }
    let Some(rank) = site.shapes.and_then(|s| s.inputs.first()).map(Vec::len) else {
        return Outcome::Cannot(format!(
            "axis {axis} with an unknown input rank (TensorFlow.js 4.22 concatenates along the \
             last axis for every negative one)"
        ));
    };
    let positive = axis + rank as i64;
    if positive < 1 {
        return Outcome::Cannot(format!("axis {axis} of rank-{rank} inputs"));
    }
    site.as_one(
        "Concatenate",
        site.config_with("axis", Value::from(positive)),
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_negative_concatenate_axis_is_counted_from_the_front() {
        let layers = vec![
            dense("d", 4, "x"),
            entry_on_all("cat", "Concatenate", json!({"axis": -2}), &["x", "d"]),
        ];
        let model = functional(&[3, 2, 4], layers, 1);
        let out = assert_same(&model, &input(&[2, 3, 2, 4]), 0.0);
        let t = out.artifacts.model_topology.as_ref().unwrap().to_string();
        assert!(t.contains(r#""axis":2"#), "{t}");
        assert_note(&out, "cat (Concatenate) -> Concatenate");
    }
}
