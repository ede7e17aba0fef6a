//! `Subtract([a, b])` (TF.js 4.22 has no `Subtract` layer) →
//! `Add([a, Rescaling(-1)(b)])`: `a + (-1 · b)` is `a - b` exactly.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Subtract" {
        return Outcome::Skip;
    }
    let node = match site.single_call("outside a functional model") {
        Ok(n) => n,
        Err(why) => return Outcome::Cannot(why),
    };
    let Some([a, b]) = node.as_array().map(Vec::as_slice) else {
        return Outcome::Cannot("expected a call with two inputs".into());
    };
    let negated = format!("{}_negated", site.name);
    Outcome::weightless(vec![
        entry(
            &negated,
            "Rescaling",
            json!({"scale": -1.0, "offset": 0.0}),
            vec![json!([b])],
        ),
        entry(
            site.name,
            "Add",
            json!({}),
            vec![Value::Array(vec![a.clone(), json!([negated, 0, 0, {}])])],
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn subtract_becomes_add_of_the_negated_second_input() {
        let layers = vec![
            dense("d1", 3, "x"),
            dense("d2", 3, "x"),
            entry_on_all("diff", "Subtract", json!({}), &["d1", "d2"]),
        ];
        assert_rewrites(
            &[3, 4],
            layers,
            6,
            0.0,
            "diff (Subtract) -> Rescaling + Add",
        );
    }
}
