//! `x²` (Keras 2's `tf.math.square`, Keras 3's `ops.Square`) →
//! `Multiply([x, x])` (the same float32 product).

use super::{entry, Outcome, Site};
use serde_json::json;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["math.square", "square"], &["ops.Square"]) else {
        return Outcome::Skip;
    };
    let (first, _) = match site.first_input("outside a functional model") {
        Ok(call) => call,
        Err(why) => return Outcome::Cannot(format!("{what}: {why}")),
    };
    let x = json!([first[0], first[1], first[2], {}]);
    let product = entry(site.name, "Multiply", json!({}), vec![json!([x, x])]);
    Outcome::weightless(vec![product])
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;

    #[test]
    fn square_becomes_multiply_of_x_by_itself() {
        let dense = entry_on("d", "Dense", json!({"units": 3}), "x");
        let square = op("sq", "Square", json!({}), json!([["d", 0, 0]]));
        let note = "sq (ops.Square) -> Multiply";
        assert_rewrites(&[4, 3], vec![dense, square], 5, 0.0, note);
    }
}
