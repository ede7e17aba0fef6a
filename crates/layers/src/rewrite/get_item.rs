//! `x[key]` (Keras 3 `ops.GetItem`, Keras 2 `SlicingOpLambda`
//! `tf.__operators__.getitem`) on a tensor of known non-batch dims that
//! keeps every axis whole but one, which it takes a contiguous run of, or
//! one position of: the steps of a sequence (`x[:, 1:]`, `x[:, 0]`, a ViT
//! class token; `x[:, -1, :]`, a language model's last position) or the
//! features (`x[..., a:b]`, `x[:, :, i]`, `x[:, a:b]` of a `[batch,
//! features]` tensor), of any rank. Rewritten as a static `Reshape` to the
//! `[before, n, after]` view (the products of the dims before and after
//! the sliced axis of `n` positions), `Cropping2D` of the positions before
//! and after the run on its middle axis (TF.js 4.22 has no `Cropping1D`
//! that would serve every rank) and a static `Reshape` to the output's
//! dims, dropping the axis for one position. All copy values, so they are
//! exact (one position of a `[batch, n]` tensor is `Reshape([])` to
//! `[batch]`). Several axes and new axes: [`several_axes`]. Other keys
//! (strides, reversals, slices of the batch) are left to the
//! `TFOpLambda` / Keras 3 operation rules, which refuse them by name.

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

/// The one sliced axis (counted with the batch), its window `[start,
/// stop)` and whether the axis is dropped, for a key over a tensor of
/// non-batch `dims`.
fn window(key: &[Index], dims: &[usize]) -> Option<(usize, usize, usize, bool)> {
    let whole = |k: &Index| matches!(k, Index::Slice(None | Some(0), None, None | Some(1)));
    let rank = dims.len() + 1;
    // `...` stands for the whole axes the other entries leave.
    let mut key = key.to_vec();
    if let Some(at) = key.iter().position(|k| matches!(k, Index::Ellipsis)) {
        let fill = rank.checked_sub(key.len() - 1)?;
        key.splice(
            at..=at,
            std::iter::repeat_n(Index::Slice(None, None, None), fill),
        );
    }
    while key.len() < rank {
        key.push(Index::Slice(None, None, None));
    }
    if key.len() != rank || !whole(&key[0]) {
        return None;
    }
    let mut sliced = (1..rank).filter(|&a| !whole(&key[a]));
    let (axis, None) = (sliced.next()?, sliced.next()) else {
        return None;
    };
    let n = dims[axis - 1] as i64;
    // Python's bounds: negatives count from the end, then clamped.
    let bound = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n) as usize;
    match key[axis] {
        Index::At(i) => {
            let i = if i < 0 { i + n } else { i };
            (0..n)
                .contains(&i)
                .then_some((axis, i as usize, i as usize + 1, true))
        }
        Index::Slice(a, b, None | Some(1)) => {
            let (start, stop) = (a.map_or(0, bound), b.map_or(n as usize, bound));
            (start < stop).then_some((axis, start, stop, false))
        }
        _ => None,
    }
}

/// A getitem site's static input dims, its `x[...]` key (Keras 2's
/// `slice_spec` kwarg, Keras 3's second argument) and its input as a node
/// entry without kwargs.
pub(super) fn site_key(site: &Site<'_>, keras2: bool) -> Option<(Vec<usize>, Vec<Index>, Value)> {
    let dims = site.static_input().ok()?;
    let node = site.single_call("").ok()?;
    let first = node.as_array()?.first()?.as_array()?;
    let kwargs = first.get(3)?;
    let key = if keras2 {
        kwargs.get("slice_spec")
    } else {
        kwargs.get("_args")?.as_array()?.get(1)
    }
    .and_then(parse_key)?;
    Some((dims, key, json!([first[0], first[1], first[2], {}])))
}

fn rewrite(site: &Site<'_>, keras2: bool) -> Option<Vec<Value>> {
    let (dims, key, x) = site_key(site, keras2)?;
    let Some((axis, start, stop, drop_axis)) = window(&key, &dims) else {
        return several_axes(site.name, &dims, &key, x);
    };
    let mut out: Vec<usize> = dims.clone();
    if drop_axis {
        // A `[batch]` output is TF.js's `Reshape([])`.
        out.remove(axis - 1);
    } else {
        out[axis - 1] = stop - start;
    }
    let name = site.name;
    let view = format!("{name}_as_2d");
    let mut layers = vec![axis_view(&view, x, &dims, axis)];
    layers.extend(cropped_window(
        &view,
        name,
        dims[axis - 1],
        (start, stop),
        &out,
    ));
    Some(layers)
}

/// A key of contiguous runs (step 1) or single positions of several
/// non-batch axes, and new axes (`None`): each sliced axis cut in turn
/// ([`axis_view`] + [`cropped_window`], keeping the axis), then one static
/// `Reshape` to the output (positions dropped, new axes of 1). Copies
/// only, so exact.
fn several_axes(name: &str, dims: &[usize], key: &[Index], x: Value) -> Option<Vec<Value>> {
    let rank = dims.len() + 1;
    let real = key
        .iter()
        .filter(|k| !matches!(k, Index::NewAxis | Index::Ellipsis))
        .count();
    let mut full = Vec::new();
    for k in key {
        match k {
            Index::Ellipsis => {
                let fill = rank.checked_sub(real)?;
                full.extend(std::iter::repeat_n(Index::Slice(None, None, None), fill));
            }
            k => full.push(*k),
        }
    }
    let seen = full.iter().filter(|k| !matches!(k, Index::NewAxis)).count();
    full.extend(std::iter::repeat_n(
        Index::Slice(None, None, None),
        rank.checked_sub(seen)?,
    ));
    // (input axis counted with the batch, window) per cut, and the output.
    let mut cuts = Vec::new();
    let mut out = Vec::new();
    let mut axis = 0;
    for k in &full {
        if matches!(k, Index::NewAxis) {
            if axis == 0 {
                return None;
            }
            out.push(1);
            continue;
        }
        let n = if axis == 0 {
            None
        } else {
            Some(dims[axis - 1])
        };
        let whole = matches!(k, Index::Slice(None | Some(0), None, None | Some(1)));
        match (n, k) {
            (None, _) if !whole => return None,
            (None, _) => {}
            (Some(n), Index::At(i)) => {
                let i = if *i < 0 { i + n as i64 } else { *i };
                if !(0..n as i64).contains(&i) {
                    return None;
                }
                cuts.push((axis, i as usize, i as usize + 1));
            }
            (Some(n), Index::Slice(a, b, None | Some(1))) => {
                let bound =
                    |v: i64| (if v < 0 { v + n as i64 } else { v }).clamp(0, n as i64) as usize;
                let (start, stop) = (a.map_or(0, bound), b.map_or(n, bound));
                if start >= stop {
                    return None;
                }
                if (start, stop) != (0, n) {
                    cuts.push((axis, start, stop));
                }
                out.push(stop - start);
            }
            _ => return None,
        }
        axis += 1;
    }
    if axis != rank {
        return None;
    }
    let mut layers = Vec::new();
    let mut cur = dims.to_vec();
    let mut input = x;
    for (i, &(a, start, stop)) in cuts.iter().enumerate() {
        let view = format!("{name}_cut{i}_view");
        let cut = format!("{name}_cut{i}");
        layers.push(axis_view(&view, input, &cur, a));
        let n = cur[a - 1];
        cur[a - 1] = stop - start;
        layers.extend(cropped_window(&view, &cut, n, (start, stop), &cur));
        input = json!([cut, 0, 0, {}]);
    }
    layers.push(entry(
        name,
        "Reshape",
        json!({ "target_shape": out }),
        vec![json!([input])],
    ));
    Some(layers)
}

/// The static `Reshape` `view` of `x` (non-batch `dims`) as `[before, n,
/// after]` around its `axis` (counted with the batch) of `n` positions.
pub(super) fn axis_view(view: &str, x: Value, dims: &[usize], axis: usize) -> Value {
    let before: usize = dims[..axis - 1].iter().product();
    let after: usize = dims[axis..].iter().product();
    entry(
        view,
        "Reshape",
        json!({"target_shape": [before, dims[axis - 1], after]}),
        vec![json!([x])],
    )
}

/// The positions `[start, stop)` of the middle axis (`n` positions) of
/// the [`axis_view`] `view`: a `Cropping2D` (`<out>_window`) and a static
/// `Reshape` `out` to `shape`.
pub(super) fn cropped_window(
    view: &str,
    out: &str,
    n: usize,
    (start, stop): (usize, usize),
    shape: &[usize],
) -> [Value; 2] {
    let cropped = format!("{out}_window");
    [
        entry_on(
            &cropped,
            "Cropping2D",
            json!({"cropping": [[0, 0], [start, n - stop]], "data_format": "channels_last"}),
            view,
        ),
        entry_on(out, "Reshape", json!({"target_shape": shape}), &cropped),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;
    use super::*;

    #[test]
    fn windows_follow_pythons_bounds() {
        let s = |a, b| Index::Slice(a, b, None);
        let all = s(None, None);
        for (key, want) in [
            (vec![all, Index::At(0)], Some((1, 0, 1, true))),
            (vec![all, Index::At(-1), all], Some((1, 5, 6, true))),
            (vec![all, s(Some(1), None)], Some((1, 1, 6, false))),
            (
                vec![Index::Ellipsis, s(Some(-3), Some(-1)), all],
                Some((1, 3, 5, false)),
            ),
            (vec![all, s(None, Some(99))], Some((1, 0, 6, false))),
            // The features.
            (vec![all, all, Index::At(0)], Some((2, 0, 1, true))),
            (
                vec![Index::Ellipsis, s(Some(1), Some(3))],
                Some((2, 1, 3, false)),
            ),
            (vec![all, all, s(Some(-2), None)], Some((2, 2, 4, false))),
            (vec![all, Index::At(6)], None),
            (vec![all, Index::Slice(None, None, Some(2))], None),
            (vec![s(Some(1), None)], None),
            (vec![all, s(Some(4), Some(2))], None),
            // Two axes sliced, or none.
            (vec![all, s(Some(1), None), Index::At(0)], None),
            (vec![all, all, all], None),
            (vec![all, Index::NewAxis], None),
        ] {
            assert_eq!(window(&key, &[6, 4]), want, "{key:?}");
        }
    }

    #[test]
    fn several_axes_and_new_axes_are_cut_in_turn() {
        let slice = |a: Value, b: Value| json!({"class_name": "__slice__", "config": {"start": a, "stop": b, "step": null}});
        let all = slice(Value::Null, Value::Null);
        let ellipsis = json!({"class_name": "__ellipsis__", "config": {}});
        let k2 = |name: &str, from: &str, spec: Value| {
            entry(
                name,
                "SlicingOpLambda",
                json!({"function": "__operators__.getitem"}),
                vec![json!([[from, 0, 0, {"slice_spec": spec}]])],
            )
        };
        let s2 = |a: Value, b: Value| json!({"start": a, "stop": b, "step": null});
        // [batch, 4, 3, 5]: x[:, 1:3, :, 0] and x[:, -1, 1:, 2:4] (Keras 2),
        // x[..., None] and x[:, None, 0] (Keras 3), joined after flattening.
        let layers = vec![
            dense("d", 5, "x"),
            k2(
                "a",
                "d",
                json!([
                    s2(Value::Null, Value::Null),
                    s2(json!(1), json!(3)),
                    s2(Value::Null, Value::Null),
                    0
                ]),
            ),
            k2(
                "b",
                "d",
                json!([
                    s2(Value::Null, Value::Null),
                    -1,
                    s2(json!(1), Value::Null),
                    s2(json!(2), json!(4))
                ]),
            ),
            op(
                "c",
                "GetItem",
                json!({}),
                json!([["d", 0, 0], [ellipsis, Value::Null]]),
            ),
            op(
                "e",
                "GetItem",
                json!({}),
                json!([["d", 0, 0], [all, Value::Null, 0]]),
            ),
            entry_on("fa", "Flatten", json!({}), "a"),
            entry_on("fb", "Flatten", json!({}), "b"),
            entry_on("fc", "Flatten", json!({}), "c"),
            entry_on("fe", "Flatten", json!({}), "e"),
            entry(
                "all",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([
                    ["fa", 0, 0, {}],
                    ["fb", 0, 0, {}],
                    ["fc", 0, 0, {}],
                    ["fe", 0, 0, {}]
                ])],
            ),
        ];
        assert_rewrites(
            &[2, 4, 3, 5],
            layers,
            5,
            0.0,
            "b (SlicingOpLambda) -> Reshape + Cropping2D",
        );
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

    #[test]
    fn feature_slices_become_cropping2d_on_a_view() {
        let slice = |a: Value, b: Value| json!({"class_name": "__slice__", "config": {"start": a, "stop": b, "step": null}});
        let all = slice(Value::Null, Value::Null);
        let ellipsis = json!({"class_name": "__ellipsis__", "config": {}});
        // [batch, 2, 3, 6]: x[..., 1:4], x[:, :, :, -1] (Keras 3), x[:, 1] (Keras 2).
        let layers = vec![
            dense("d", 6, "x"),
            op(
                "mid",
                "GetItem",
                json!({}),
                json!([["d", 0, 0], [ellipsis, slice(json!(1), json!(4))]]),
            ),
            op(
                "last",
                "GetItem",
                json!({}),
                json!([["d", 0, 0], [all, all, all, -1]]),
            ),
            entry(
                "row",
                "SlicingOpLambda",
                json!({"function": "__operators__.getitem"}),
                vec![
                    json!([["mid", 0, 0, {"slice_spec": [{"start": null, "stop": null, "step": null}, 1]}]]),
                ],
            ),
            entry(
                "flat",
                "Reshape",
                json!({"target_shape": [6]}),
                vec![json!([["last", 0, 0, {}]])],
            ),
            entry(
                "flat_row",
                "Reshape",
                json!({"target_shape": [9]}),
                vec![json!([["row", 0, 0, {}]])],
            ),
            // A [batch, features] tensor: x[:, 2:5] of the joined rows.
            entry(
                "both",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([["flat", 0, 0, {}], ["flat_row", 0, 0, {}]])],
            ),
            op(
                "cols",
                "GetItem",
                json!({}),
                json!([["both", 0, 0], [all, slice(json!(2), json!(5))]]),
            ),
        ];
        assert_rewrites(
            &[2, 2, 3, 6],
            layers,
            5,
            0.0,
            "cols (ops.GetItem) -> Reshape + Cropping2D + Reshape",
        );
    }
}
