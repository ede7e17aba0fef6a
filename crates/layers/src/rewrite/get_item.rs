//! `x[key]` on a `[batch, steps, features]` tensor (Keras 3 `ops.GetItem`,
//! Keras 2 `SlicingOpLambda` `tf.__operators__.getitem`) that keeps the
//! batch and features whole and takes a contiguous run of steps, or one
//! step: `x[:, 1:]`, `x[:, :-1, :]`, `x[:, 0]` (a ViT class token),
//! `x[:, -1, :]` (a language model's last position) → `Cropping2D` of the
//! steps before and after on a `[steps, 1, features]` view (TF.js 4.22
//! has no `Cropping1D`; static `Reshape`s in and out), the last `Reshape`
//! dropping the axis for one step. All copy values, so they are exact. Steps must be known; other keys
//! (strides, reversals, new axes, slices of the batch or the features)
//! are left to the `TFOpLambda` / Keras 3 operation rules, which refuse
//! them by name.

use super::{entry, entry_on, Outcome, Site};
use crate::layers::keras3_ops::{parse_key, Index};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let keras2 = site.class_name == "SlicingOpLambda"
        && site.config.get("function").and_then(Value::as_str) == Some("__operators__.getitem");
    if !keras2 && site.class_name != "ops.GetItem" {
        return Outcome::Skip;
    }
    match rewrite(site, keras2) {
        Some(layers) => Outcome::weightless(layers),
        // Not a key this rule covers: the function rules decide.
        None => Outcome::Skip,
    }
}

/// The step window `[start, stop)` and whether the axis is dropped, for a
/// key over `[batch, steps, features]` with `steps` known.
fn steps_window(key: &[Index], steps: usize) -> Option<(usize, usize, bool)> {
    let whole = |k: &Index| matches!(k, Index::Slice(None | Some(0), None, None | Some(1)));
    // `...` stands for the whole axes the other entries leave.
    let mut key = key.to_vec();
    if let Some(at) = key.iter().position(|k| matches!(k, Index::Ellipsis)) {
        let fill = 3usize.checked_sub(key.len() - 1)?;
        key.splice(
            at..=at,
            std::iter::repeat_n(Index::Slice(None, None, None), fill),
        );
    }
    while key.len() < 3 {
        key.push(Index::Slice(None, None, None));
    }
    if key.len() != 3 || !whole(&key[0]) || !whole(&key[2]) {
        return None;
    }
    let n = steps as i64;
    // Python's bounds: negatives count from the end, then clamped.
    let bound = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n) as usize;
    match key[1] {
        Index::At(i) => {
            let i = if i < 0 { i + n } else { i };
            (0..n)
                .contains(&i)
                .then_some((i as usize, i as usize + 1, true))
        }
        Index::Slice(a, b, None | Some(1)) => {
            let (start, stop) = (a.map_or(0, bound), b.map_or(steps, bound));
            (start < stop).then_some((start, stop, false))
        }
        _ => None,
    }
}

fn rewrite(site: &Site<'_>, keras2: bool) -> Option<Vec<Value>> {
    let shape = site.shapes?.inputs.first()?;
    let [_, Some(steps), Some(features)] = shape.as_slice() else {
        return None;
    };
    let (steps, features) = (*steps, *features);
    let node = site.single_call("").ok()?;
    let first = node.as_array()?.first()?.as_array()?;
    let kwargs = first.get(3)?;
    let key = if keras2 {
        kwargs.get("slice_spec")
    } else {
        kwargs.get("_args")?.as_array()?.get(1)
    }
    .and_then(parse_key)?;
    let (start, stop, drop_axis) = steps_window(&key, steps)?;
    let x = json!([first[0], first[1], first[2], {}]);
    let name = site.name;
    let (view, cropped) = (format!("{name}_as_2d"), format!("{name}_steps"));
    let out = if drop_axis {
        json!([features])
    } else {
        json!([stop - start, features])
    };
    Some(vec![
        entry(
            &view,
            "Reshape",
            json!({"target_shape": [steps, 1, features]}),
            vec![json!([x])],
        ),
        entry_on(
            &cropped,
            "Cropping2D",
            json!({"cropping": [[start, steps - stop], [0, 0]], "data_format": "channels_last"}),
            &view,
        ),
        entry_on(name, "Reshape", json!({"target_shape": out}), &cropped),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;
    use super::*;

    #[test]
    fn step_windows_follow_pythons_bounds() {
        let s = |a, b| Index::Slice(a, b, None);
        let all = s(None, None);
        for (key, want) in [
            (vec![all, Index::At(0)], Some((0, 1, true))),
            (vec![all, Index::At(-1), all], Some((5, 6, true))),
            (vec![all, s(Some(1), None)], Some((1, 6, false))),
            (
                vec![Index::Ellipsis, s(Some(-3), Some(-1)), all],
                Some((3, 5, false)),
            ),
            (vec![all, s(None, Some(99))], Some((0, 6, false))),
            (vec![all, Index::At(6)], None),
            (vec![all, Index::Slice(None, None, Some(2))], None),
            (vec![all, all, Index::At(0)], None),
            (vec![s(Some(1), None)], None),
            (vec![all, s(Some(4), Some(2))], None),
        ] {
            assert_eq!(steps_window(&key, 6), want, "{key:?}");
        }
    }

    #[test]
    fn step_slices_become_cropping2d_on_a_view() {
        let slice = |a: Value, b: Value| json!({"class_name": "__slice__", "config": {"start": a, "stop": b, "step": null}});
        let all = slice(Value::Null, Value::Null);
        let layers = vec![
            dense("d", 4, "x"),
            // Keras 3: x[:, 1:], then the last step x[:, -1, :].
            op(
                "tail",
                "GetItem",
                json!({}),
                json!([["d", 0, 0], [all, slice(json!(1), Value::Null)]]),
            ),
            op(
                "last",
                "GetItem",
                json!({}),
                json!([["tail", 0, 0], [all, -1, all]]),
            ),
            // Keras 2: x[:, 0] of the Dense output.
            entry(
                "first",
                "SlicingOpLambda",
                json!({"function": "__operators__.getitem"}),
                vec![
                    json!([["d", 0, 0, {"slice_spec": [{"start": null, "stop": null, "step": null}, 0]}]]),
                ],
            ),
            entry(
                "both",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([["last", 0, 0, {}], ["first", 0, 0, {}]])],
            ),
        ];
        assert_rewrites(
            &[2, 5, 3],
            layers,
            17,
            0.0,
            "last (ops.GetItem) -> Reshape + Cropping2D + Reshape",
        );
    }
}
