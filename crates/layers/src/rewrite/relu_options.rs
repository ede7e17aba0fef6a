//! `ReLU` with `negative_slope` or `threshold`: TensorFlow.js 4.22's layer
//! reads only `max_value`. Keras computes
//! `clip(x·[x > t], 0, max_value) − slope·relu(t − x)` (the clip only with
//! a `max_value`; `relu(x)` in place of `x·[x > t]` when `t` is 0), which
//! is rewritten term by term: `ThresholdedReLU(t)` (or `ReLU`), `ReLU` with
//! `max_value` for the clip, `Rescaling(−1, t)` + `ReLU` +
//! `Rescaling(−slope)` for the negative part, `Add`. Without a threshold
//! or `max_value` it is `LeakyReLU(slope)`, as in Keras.

use super::{entry, entry_on, entry_on_all, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "ReLU" {
        return Outcome::Skip;
    }
    let get = |k: &str| site.config.get(k).and_then(Value::as_f64);
    let slope = get("negative_slope").unwrap_or(0.0);
    let threshold = get("threshold").unwrap_or(0.0);
    let max_value = get("max_value");
    if slope == 0.0 && threshold == 0.0 {
        return Outcome::Skip;
    }
    let name = site.name;
    if threshold == 0.0 && max_value.is_none() {
        return site.as_one("LeakyReLU", json!({ "alpha": slope }), Vec::new());
    }
    let node = match site.single_call("its rewrite needs several layers") {
        Ok(n) => n,
        Err(why) => {
            return Outcome::Cannot(format!(
                "negative_slope/threshold (TensorFlow.js 4.22's ReLU reads only max_value): {why}"
            ))
        }
    };
    let mut layers = Vec::new();
    let max = max_value.map_or(Value::Null, Value::from);
    let positive = if slope == 0.0 {
        name.to_string()
    } else {
        format!("{name}_positive")
    };
    if threshold != 0.0 {
        let kept = if max_value.is_some() {
            format!("{name}_thresholded")
        } else {
            positive.clone()
        };
        layers.push(entry(
            &kept,
            "ThresholdedReLU",
            json!({ "theta": threshold }),
            vec![node.clone()],
        ));
        if max_value.is_some() {
            layers.push(entry_on(
                &positive,
                "ReLU",
                json!({ "max_value": max }),
                &kept,
            ));
        }
    } else {
        layers.push(entry(
            &positive,
            "ReLU",
            json!({ "max_value": max }),
            vec![node.clone()],
        ));
    }
    if slope != 0.0 {
        let [flipped, negative, scaled] =
            ["flipped", "negative", "negative_scaled"].map(|s| format!("{name}_{s}"));
        layers.extend([
            entry(
                &flipped,
                "Rescaling",
                json!({"scale": -1.0, "offset": threshold}),
                vec![node.clone()],
            ),
            entry_on(&negative, "ReLU", json!({}), &flipped),
            entry_on(
                &scaled,
                "Rescaling",
                json!({"scale": -slope, "offset": 0.0}),
                &negative,
            ),
            entry_on_all(name, "Add", json!({}), &[positive, scaled]),
        ]);
    }
    Outcome::weightless(layers)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn relu_slope_and_threshold_are_written_term_by_term() {
        for (cfg, note) in [
            (
                json!({"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}),
                "r (ReLU) -> ThresholdedReLU + ReLU + Rescaling + ReLU + Rescaling + Add",
            ),
            (
                json!({"negative_slope": 0.3, "threshold": -0.5}),
                "r (ReLU) -> ThresholdedReLU + Rescaling + ReLU + Rescaling + Add",
            ),
            (
                json!({"max_value": 2.0, "threshold": 0.5}),
                "r (ReLU) -> ThresholdedReLU + ReLU",
            ),
            (
                json!({"max_value": 6.0, "negative_slope": 0.2}),
                "r (ReLU) -> ReLU + Rescaling + ReLU + Rescaling + Add",
            ),
            (json!({"negative_slope": 0.2}), "r (ReLU) -> LeakyReLU"),
        ] {
            let layers = vec![entry_on("r", "ReLU", cfg, "x")];
            assert_rewrites(&[4, 5, 3], layers, 1, 1e-6, note);
        }
    }
}
