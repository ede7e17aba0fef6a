//! `tf.split` (`TFOpLambda`: `num_or_size_splits` equal pieces or given
//! sizes, one of them `-1` for the rest) and Keras 3 `ops.Split`
//! (`indices_or_sections`: equal sections or the indices the pieces
//! start at) of a tensor of known dims along one non-batch axis: each
//! piece is a `Cropping2D` of the middle axis of one static `[before, n,
//! after]` `Reshape` view (the products of the dims before and after the
//! axis of `n` positions), then a static `Reshape` to the piece's dims.
//! All copy values, so they are exact. Piece 0 keeps the layer's name,
//! piece `i` is `<name>_part<i>`; [`redirect`] points the readers of
//! output `i` there. Other splits (uneven sections, empty pieces, the
//! batch axis) are left to the `TFOpLambda` / Keras 3 operation rules,
//! which refuse them by name.

use super::get_item::{axis_view, cropped_window};
use super::{Outcome, Site};
use serde_json::{json, Value};

/// Whether a layer entry is a split this rule may rewrite (by class).
fn is_split(class_name: &str, config: &Value) -> bool {
    class_name == "ops.Split"
        || (class_name == "TFOpLambda"
            && matches!(
                config.get("function").and_then(Value::as_str),
                Some("split" | "compat.v1.split")
            ))
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !is_split(site.class_name, &Value::Object(site.config.clone())) {
        return Outcome::Skip;
    }
    match rewrite(site) {
        Some(layers) => Outcome::weightless(layers),
        None => Outcome::Skip,
    }
}

/// The pieces' windows `[start, stop)` along an axis of `n` positions.
fn windows(keras3: bool, spec: &Value, n: usize) -> Option<Vec<(usize, usize)>> {
    let cuts: Vec<usize> = if let Some(k) = spec.as_u64() {
        let k = k as usize;
        if k == 0 || !n.is_multiple_of(k) {
            return None;
        }
        (1..k).map(|i| i * n / k).collect()
    } else {
        let list: Vec<i64> = spec
            .as_array()?
            .iter()
            .map(Value::as_i64)
            .collect::<Option<_>>()?;
        if keras3 {
            // numpy's split indices: the starts of pieces 1, 2, ….
            list.iter()
                .map(|&i| (if i < 0 { i + n as i64 } else { i }).clamp(0, n as i64) as usize)
                .collect()
        } else {
            // tf.split's sizes, one of them -1 for the rest.
            let rest = list.iter().filter(|&&s| s == -1).count();
            let known: i64 = list.iter().filter(|&&s| s >= 0).sum();
            if rest > 1 || list.iter().any(|&s| s < -1) || known > n as i64 {
                return None;
            }
            let sizes = list
                .iter()
                .map(|&s| if s == -1 { n as i64 - known } else { s });
            if rest == 0 && known != n as i64 {
                return None;
            }
            let mut at = 0i64;
            let mut cuts: Vec<usize> = sizes
                .map(|s| {
                    at += s;
                    at as usize
                })
                .collect();
            cuts.pop();
            cuts
        }
    };
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts)
        .chain(std::iter::once(n))
        .collect();
    let pieces: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    pieces.iter().all(|(a, b)| a < b).then_some(pieces)
}

fn rewrite(site: &Site<'_>) -> Option<Vec<Value>> {
    let dims = site.static_input().ok()?;
    let node = site.single_call("").ok()?.as_array()?;
    let first = node.first()?.as_array()?;
    let keras3 = site.class_name == "ops.Split";
    let (spec, axis) = if keras3 {
        (
            site.config.get("indices_or_sections")?,
            site.config.get("axis").and_then(Value::as_i64).unwrap_or(0),
        )
    } else {
        let kwargs = first.get(3)?;
        (
            kwargs.get("num_or_size_splits")?,
            kwargs.get("axis").and_then(Value::as_i64).unwrap_or(0),
        )
    };
    let rank = dims.len() as i64 + 1;
    let axis = if axis < 0 { axis + rank } else { axis };
    if axis < 1 || axis >= rank {
        return None;
    }
    let axis = axis as usize;
    let n = dims[axis - 1];
    let pieces = windows(keras3, spec, n)?;
    let x = json!([first[0], first[1], first[2], {}]);
    let name = site.name;
    let view = format!("{name}_as_2d");
    let mut layers = vec![axis_view(&view, x, &dims, axis)];
    let mut first_piece = Vec::new();
    for (i, &(start, stop)) in pieces.iter().enumerate() {
        let mut shape = dims.clone();
        shape[axis - 1] = stop - start;
        let out = if i == 0 {
            name.to_string()
        } else {
            format!("{name}_part{i}")
        };
        let piece = cropped_window(&view, &out, n, (start, stop), &shape);
        // Piece 0, under the layer's name, last.
        if i == 0 {
            first_piece.extend(piece);
        } else {
            layers.extend(piece);
        }
    }
    layers.extend(first_piece);
    Some(layers)
}

/// The names of the split layers among `layers` (before the rewrite).
pub fn split_layers(layers: &[Value]) -> Vec<String> {
    layers
        .iter()
        .filter(|l| {
            let class = l.get("class_name").and_then(Value::as_str).unwrap_or("");
            is_split(class, l.get("config").unwrap_or(&Value::Null))
        })
        .filter_map(|l| tfjs_format::topology::layer_entry_name(l).map(String::from))
        .collect()
}

/// Points every reference `[split, node, i, …]` (`i > 0`) to a rewritten
/// split's output `i` in `layers` and `outputs` at `<split>_part<i>` (its
/// node `node`): the
/// inbound nodes, the tensors among their saved arguments, the model's
/// outputs. `splits` are the split layers before the rewrite; those that
/// were rewritten have a `<split>_part1` layer.
pub fn redirect(splits: &[String], layers: &mut [Value], outputs: Option<&mut Value>) {
    let names: std::collections::HashSet<String> = layers
        .iter()
        .filter_map(|l| tfjs_format::topology::layer_entry_name(l).map(String::from))
        .collect();
    let rewritten: Vec<&String> = splits
        .iter()
        .filter(|s| names.contains(&format!("{s}_part1")))
        .collect();
    if rewritten.is_empty() {
        return;
    }
    fn walk(v: &mut Value, rewritten: &[&String]) {
        let Value::Array(a) = v else {
            if let Value::Object(m) = v {
                m.values_mut().for_each(|v| walk(v, rewritten));
            }
            return;
        };
        let is_ref = (3..=4).contains(&a.len()) && a[1].is_u64() && a[2].is_u64();
        let layer = a.first().and_then(Value::as_str).map(String::from);
        if let (true, Some(layer)) = (is_ref, layer) {
            let index = a[2].as_u64().unwrap_or(0);
            if index > 0 && rewritten.iter().any(|s| **s == layer) {
                // The same call's output (a layer called several times
                // has one `_part<i>` node per call).
                a[0] = json!(format!("{layer}_part{index}"));
                a[2] = json!(0);
            }
        }
        a.iter_mut().for_each(|v| walk(v, rewritten));
    }
    for l in layers.iter_mut() {
        if let Some(nodes) = l.get_mut("inbound_nodes") {
            walk(nodes, &rewritten);
        }
    }
    if let Some(outputs) = outputs {
        walk(outputs, &rewritten);
    }
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;
    use super::*;

    #[test]
    fn pieces_follow_each_convention() {
        let w = |keras3, spec: Value| windows(keras3, &spec, 6);
        assert_eq!(w(true, json!(3)), Some(vec![(0, 2), (2, 4), (4, 6)]));
        assert_eq!(w(true, json!([1, 4])), Some(vec![(0, 1), (1, 4), (4, 6)]));
        assert_eq!(
            w(false, json!([1, -1, 2])),
            Some(vec![(0, 1), (1, 4), (4, 6)])
        );
        assert_eq!(w(false, json!(2)), Some(vec![(0, 3), (3, 6)]));
        assert_eq!(w(true, json!(4)), None);
        assert_eq!(w(false, json!([1, 2])), None);
        assert_eq!(w(true, json!([3, 3])), None);
    }

    #[test]
    fn splits_become_one_cropping_per_piece() {
        // Keras 3: three sections of the features, joined again in
        // another order; Keras 2: sizes [1, 1] of the steps.
        let layers = vec![
            dense("d", 6, "x"),
            op(
                "sp",
                "Split",
                json!({"indices_or_sections": 3, "axis": -1}),
                json!([["d", 0, 0]]),
            ),
            op(
                "cat",
                "Concatenate",
                json!({"axis": -1}),
                json!([[["sp", 0, 2], ["sp", 0, 0], ["sp", 0, 1]]]),
            ),
            tf(
                "tsp",
                "split",
                "cat",
                json!({"num_or_size_splits": [1, 1], "axis": 1}),
            ),
            tf("sum", "math.add", "tsp", json!({"y": ["tsp", 0, 1]})),
        ];
        assert_rewrites(
            &[2, 2, 3],
            layers,
            4,
            0.0,
            "sp (ops.Split) -> Reshape + Cropping2D + Reshape + Cropping2D + Reshape + Cropping2D + Reshape",
        );
    }
}
