//! `tf.nn.crelu(x, axis)` (`concat([relu(x), relu(-x)], axis)`), which
//! TensorFlow.js 4.22 has no layer for → `ReLU(x)` and
//! `ReLU(Rescaling(-1)(x))` (the two halves of [`super::absolute`]'s
//! chain) joined by `Concatenate(axis)`: the same values, exactly. Along
//! the batch axis it is refused.

use super::absolute::abs_chain;
use super::{concatenate_entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["nn.crelu", "compat.v1.nn.crelu"], &[]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let axis = match first.get(3).and_then(|k| k.get("axis")) {
        None | Some(Value::Null) => -1,
        Some(a) => a.as_i64().ok_or("its axis is not a constant integer")?,
    };
    let rank = site
        .shapes
        .and_then(|s| s.inputs.first())
        .map(Vec::len)
        .ok_or("its input's rank is unknown")? as i64;
    if axis == 0 || axis == -rank {
        return Err("it concatenates along the batch axis".into());
    }
    // `|x|`'s chain ends in `Add` of its two ReLUs: concatenate them instead.
    let mut layers = abs_chain(site.name, node);
    layers.pop();
    let r = |suffix: &str| json!([format!("{}_{suffix}", site.name), 0, 0, {}]);
    layers.push(concatenate_entry(site.name, axis, vec![r("pos"), r("neg")]));
    Ok(Outcome::weightless(layers))
}

#[cfg(test)]
mod tests {
    use super::super::probes::tf;
    use super::super::test_util::*;

    #[test]
    fn crelu_becomes_two_relus_and_concatenate() {
        let layers = vec![
            tf("c", "compat.v1.nn.crelu", "x", json!({"axis": -1})),
            entry_on("d", "Dense", json!({"units": 2}), "c"),
            tf("c1", "nn.crelu", "d", json!({"axis": 1})),
        ];
        assert_rewrites(
            &[4, 3],
            layers,
            5,
            0.0,
            "c (TFOpLambda) -> ReLU + Rescaling + ReLU + Concatenate",
        );
    }
}
