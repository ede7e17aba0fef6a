//! `tf.tile(x, multiples)` and Keras 3's `ops.tile(x, repeats)` with
//! constant counts that leave the batch axis alone → per repeated axis a
//! `Concatenate` of that many copies along it (in axis order), exact:
//! tiling repeats the whole tensor along each axis, which is what joining
//! copies does. (numpy's rule for Keras 3: fewer counts than axes apply to
//! the trailing axes.) Counts read at run time, a batch count other than 1
//! and more counts than axes are left to the function rules, which refuse
//! them by name.

use super::{concatenate_entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let counts = match site.class_name {
        "ops.Tile" => site.config.get("repeats").cloned(),
        "TFOpLambda" if site.field("function", Value::as_str) == Some("tile") => site
            .inbound_nodes
            .and_then(|n| n.first())
            .and_then(|n| n.pointer("/0/3/multiples"))
            .cloned(),
        _ => return Outcome::Skip,
    };
    let Some(layers) = counts.and_then(|c| rewrite(site, &c)) else {
        return Outcome::Skip;
    };
    Outcome::weightless(layers)
}

fn rewrite(site: &Site<'_>, counts: &Value) -> Option<Vec<Value>> {
    let counts: Vec<usize> = match counts {
        Value::Array(a) => a
            .iter()
            .map(|c| c.as_u64().map(|c| c as usize))
            .collect::<Option<_>>()?,
        c => vec![c.as_u64()? as usize],
    };
    let rank = site.shapes?.inputs.first()?.len();
    if counts.len() > rank || counts.contains(&0) {
        return None;
    }
    // Leading axes not named repeat once (numpy; tf.tile names them all).
    let mut full = vec![1; rank - counts.len()];
    full.extend(counts);
    if full[0] != 1 || full.iter().all(|&c| c == 1) {
        return None;
    }
    let (_, node) = site.first_input("").ok()?;
    let mut input = node[0].clone();
    let repeated: Vec<(usize, usize)> = full
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 1)
        .map(|(a, &c)| (a, c))
        .collect();
    let mut layers = Vec::new();
    for (i, &(axis, count)) in repeated.iter().enumerate() {
        let name = if i + 1 == repeated.len() {
            site.name.to_string()
        } else {
            format!("{}_axis{axis}", site.name)
        };
        layers.push(concatenate_entry(
            &name,
            axis as i64,
            vec![input.clone(); count],
        ));
        input = json!([name, 0, 0, {}]);
    }
    Some(layers)
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    #[test]
    fn tiles_become_concatenated_copies() {
        for kwargs in [
            json!({"multiples": [1, 2, 1]}),
            json!({"multiples": [1, 3, 2]}),
        ] {
            let layers = vec![dense("d", 3, "x"), tf("t", "tile", "d", kwargs)];
            assert_rewrites(&[2, 4, 3], layers, 3, 0.0, "t (TFOpLambda) -> Concatenate");
        }
        // Keras 3: fewer repeats than axes tile the trailing ones.
        let layers = vec![
            dense("d", 3, "x"),
            op(
                "t",
                "Tile",
                json!({"repeats": [2, 1]}),
                json!([["d", 0, 0]]),
            ),
        ];
        assert_rewrites(&[2, 4, 3], layers, 3, 0.0, "t (ops.Tile) -> Concatenate");
        // Tiling the batch is refused.
        let layers = vec![tf("t", "tile", "x", json!({"multiples": [2, 1]}))];
        assert_refused(&functional(&[3], layers, 1), &["`t` (TFOpLambda)"]);
    }
}
