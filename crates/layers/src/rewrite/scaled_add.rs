//! `x + c · r` of two inputs, which TF.js 4.22 has no layer for →
//! `Add([x, Rescaling(c)(r)])`, the same two operations in the same order:
//! - `Subtract([a, b])`: `c = -1` (`a + (-1 · b)` is `a - b` exactly);
//! - InceptionResNetV2's `CustomScaleLayer(scale)` on `[x, r]`: `c = scale`.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// For a Keras export: `CustomScaleLayer` is a class of
/// `keras.applications` that neither Keras registers for loading (their
/// own InceptionResNetV2 files need `custom_objects`); `Subtract` stays.
pub fn keras_rule(site: &Site<'_>) -> Outcome {
    match site.class_name {
        "Subtract" => Outcome::Skip,
        _ => rule(site),
    }
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let (scale, suffix) = match site.class_name {
        "Subtract" => (-1.0, "negated"),
        "CustomScaleLayer" | "Custom>CustomScaleLayer" => {
            match site.config.get("scale").and_then(Value::as_f64) {
                Some(s) => (s, "scaled"),
                None => return Outcome::Cannot("its scale is not a number".into()),
            }
        }
        _ => return Outcome::Skip,
    };
    let node = match site.single_call("outside a functional model") {
        Ok(n) => n,
        Err(why) => return Outcome::Cannot(why),
    };
    let Some([a, b]) = node.as_array().map(Vec::as_slice) else {
        return Outcome::Cannot("expected a call with two inputs".into());
    };
    let scaled = format!("{}_{suffix}", site.name);
    Outcome::weightless(vec![
        entry(
            &scaled,
            "Rescaling",
            json!({"scale": scale, "offset": 0.0}),
            vec![json!([b])],
        ),
        entry(
            site.name,
            "Add",
            json!({}),
            vec![Value::Array(vec![a.clone(), json!([scaled, 0, 0, {}])])],
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn the_second_input_is_scaled_then_added() {
        for (class, config, note) in [
            ("Subtract", json!({}), "sum (Subtract) -> Rescaling + Add"),
            (
                "CustomScaleLayer",
                json!({"scale": 0.17}),
                "sum (CustomScaleLayer) -> Rescaling + Add",
            ),
        ] {
            let layers = vec![
                dense("d1", 3, "x"),
                dense("d2", 3, "x"),
                entry_on_all("sum", class, config, &["d1", "d2"]),
            ];
            assert_rewrites(&[3, 4], layers, 6, 0.0, note);
        }
    }
}
