//! `Softmax` over several axes (`Softmax(axis=[1, 2])`): TensorFlow.js
//! 4.22 normalizes over one. Rewritten as Keras 3's own `softmax` computes
//! a tuple of axes: `Permute` the other axes first and the softmax axes
//! last (in order; left out when they already trail), a static `Reshape`
//! merging the softmax axes into one, `Softmax` over that last axis, the
//! `Reshape` back and the inverse `Permute`. The same values are
//! normalized together (the max and the sum run over the same set), and
//! permutes and reshapes only move values. [`merged_axes_chain`] is that
//! chain around any layer of the merged last axis (`batch_norm_axes.rs`).

use super::{chain_entries, Outcome, Site, Step};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Softmax" {
        return Outcome::Skip;
    }
    let axes = match site.config.get("axis") {
        Some(Value::Array(a)) if a.len() > 1 => a,
        _ => return Outcome::Skip,
    };
    let softmax = ("Softmax", json!({"axis": -1}));
    match merged_axes_chain(site, axes, softmax) {
        Ok((steps, _)) => match site.single_call("its rewrite needs several layers") {
            Ok(node) => Outcome::weightless(chain_entries(node, steps)),
            Err(why) => Outcome::Cannot(why),
        },
        Err(why) => Outcome::Cannot(why),
    }
}

/// The steps `(Permute), Reshape, inner, Reshape, (Permute)`: `inner`
/// (class, config) runs on the input with the non-batch `axes` moved last
/// and merged into one; the last step is named after the layer. Also
/// returns the inner step's name.
pub(super) fn merged_axes_chain<'a>(
    site: &Site<'_>,
    axes: &[Value],
    inner: (&'a str, Value),
) -> Result<(Vec<Step<'a>>, String), String> {
    let dims = site.static_input()?;
    let rank = dims.len() + 1;
    let mut chosen = Vec::with_capacity(axes.len());
    for a in axes {
        let a = a.as_i64().ok_or("its axis is not a list of integers")?;
        let at = if a < 0 { a + rank as i64 } else { a };
        if at < 1 || at >= rank as i64 {
            return Err(format!(
                "axis {a} of a rank-{rank} input is not a feature axis"
            ));
        }
        if chosen.contains(&(at as usize)) {
            return Err(format!("axis {a} is given twice"));
        }
        chosen.push(at as usize);
    }
    chosen.sort_unstable();
    // Permute's dims count the non-batch axes from 1.
    let order: Vec<usize> = (1..rank)
        .filter(|a| !chosen.contains(a))
        .chain(chosen.iter().copied())
        .collect();
    let permuted: Vec<usize> = order.iter().map(|&a| dims[a - 1]).collect();
    let kept = rank - 1 - chosen.len();
    let merged: usize = permuted[kept..].iter().product();
    let flat: Vec<usize> = permuted[..kept]
        .iter()
        .copied()
        .chain(std::iter::once(merged))
        .collect();
    let moved = order.iter().enumerate().any(|(i, &a)| a != i + 1);
    let name = site.name;
    let mut steps: Vec<Step<'a>> = Vec::new();
    if moved {
        steps.push((
            format!("{name}_to_last"),
            "Permute",
            json!({ "dims": order }),
        ));
    }
    steps.push((
        format!("{name}_merged"),
        "Reshape",
        json!({ "target_shape": flat }),
    ));
    let inner_name = format!("{name}_last");
    steps.push((inner_name.clone(), inner.0, inner.1));
    steps.push((
        format!("{name}_split"),
        "Reshape",
        json!({ "target_shape": permuted }),
    ));
    if moved {
        // The inverse permutation: where each original axis went.
        let mut back = vec![0usize; order.len()];
        for (i, &a) in order.iter().enumerate() {
            back[a - 1] = i + 1;
        }
        steps.push((format!("{name}_back"), "Permute", json!({ "dims": back })));
    }
    if let Some(last) = steps.last_mut() {
        last.0 = name.to_string();
    }
    Ok((steps, inner_name))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_softmax_over_several_axes_is_one_over_their_merge() {
        for (shape, axis, note) in [
            // The spatial axes of an image (the corpus' activation_layers).
            (
                vec![2, 3, 4, 5],
                json!([1, 2]),
                "Permute + Reshape + Softmax + Reshape + Permute",
            ),
            // Already trailing: no Permute.
            (
                vec![2, 3, 4, 5],
                json!([-2, -1]),
                "Reshape + Softmax + Reshape",
            ),
            (vec![2, 3, 4, 5, 2], json!([3, 1]), "Permute + Reshape"),
            (
                vec![2, 3, 4, 5],
                json!([1, 2, 3]),
                "Reshape + Softmax + Reshape",
            ),
        ] {
            let layers = vec![
                dense("d", shape[shape.len() - 1], "x"),
                entry_on("sm", "Softmax", json!({ "axis": axis }), "d"),
            ];
            assert_rewrites(&shape, layers, 3, 1e-6, &format!("sm (Softmax) -> {note}"));
        }
    }

    #[test]
    fn axes_outside_the_features_are_refused() {
        for axis in [json!([0, 1]), json!([1, -3])] {
            let layers = vec![entry_on("sm", "Softmax", json!({ "axis": axis }), "x")];
            let model = functional(&[3, 4, 5], layers, 1);
            assert_refused(&model, &["`sm` (Softmax)"]);
        }
    }
}
