//! `x[..., a:b:s]` with a step other than 1 (the channel flip `x[...,
//! ::-1]` of `keras.applications.{resnet,vgg16,…}.preprocess_input`'s
//! `caffe` mode, RGB ↔ BGR; every other channel, `x[..., ::2]`) through
//! Keras 2's `SlicingOpLambda` `tf.__operators__.getitem` or Keras 3's
//! `ops.GetItem`, every other axis whole, on a tensor whose last axis is
//! known → a `Dense` without bias whose kernel picks, for each output
//! feature, its input feature (a 0/1 selection matrix; TF.js's `Dense`
//! applies it over the last axis at any rank). Exact for finite inputs:
//! each output is `x·1` plus products `x'·0`, which are zeros; an
//! infinity or NaN elsewhere in the row would make its `0·inf` a NaN,
//! as the block-diagonal grouped-convolution rewrite notes
//! ([`super::grouped_conv`]). Steps of 1 and single positions are
//! [`super::get_item`]'s; other keys are left to the function rules,
//! which refuse them by name.

use super::{entry, f32_weight, zero_dense, Outcome, Site};
use crate::layers::keras3_ops::{expand_ellipsis, slice_range, Index};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let keras2 = site.class_name == "SlicingOpLambda"
        && site.field("function", Value::as_str) == Some("__operators__.getitem");
    if !keras2 && site.class_name != "ops.GetItem" {
        return Outcome::Skip;
    }
    match rewrite(site, keras2) {
        Some((layers, weights)) => Outcome::Replace { layers, weights },
        None => Outcome::Skip,
    }
}

/// The input features the key's last-axis slice picks, in order, when
/// the key (over non-batch `dims`) steps by other than 1 over the last
/// axis and keeps every other axis whole.
fn picked(key: &[Index], dims: &[usize]) -> Option<Vec<usize>> {
    let rank = dims.len() + 1;
    let mut key = expand_ellipsis(key, rank).ok()?;
    while key.len() < rank {
        key.push(Index::Slice(None, None, None));
    }
    let (last, rest) = key.split_last()?;
    let whole = |k: &Index| matches!(k, Index::Slice(None | Some(0), None, None | Some(1)));
    if key.len() != rank || rank < 2 || !rest.iter().all(whole) {
        return None;
    }
    let Index::Slice(start, stop, Some(step)) = *last else {
        return None;
    };
    if step == 1 {
        return None;
    }
    let (first, len, step) = slice_range(*dims.last()?, start, stop, Some(step))?;
    let picked: Vec<usize> = (0..len as i64)
        .map(|i| (first + i * step) as usize)
        .collect();
    (!picked.is_empty()).then_some(picked)
}

fn rewrite(
    site: &Site<'_>,
    keras2: bool,
) -> Option<(Vec<Value>, Vec<tfjs_format::codec::DecodedWeight>)> {
    let (dims, key, x) = super::get_item::site_key(site, keras2)?;
    let picked = picked(&key, &dims)?;
    let (n, units) = (*dims.last()?, picked.len());
    let mut kernel = vec![0.0f32; n * units];
    for (out, &from) in picked.iter().enumerate() {
        kernel[from * units + out] = 1.0;
    }
    let name = site.name;
    let dense = entry(name, "Dense", zero_dense(units, false), vec![json!([x])]);
    let weights = vec![f32_weight(format!("{name}/kernel"), vec![n, units], kernel)];
    Some((vec![dense], weights))
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;
    use super::*;

    #[test]
    fn picked_features_follow_pythons_slices() {
        // Python: list(range(5))[::-1], [::2], [3::-2], [-2:0:-1], [1:4:2].
        let all = Index::Slice(None, None, None);
        let s = |a, b, c| Index::Slice(a, b, Some(c));
        for (key, want) in [
            (
                vec![Index::Ellipsis, s(None, None, -1)],
                Some(vec![4, 3, 2, 1, 0]),
            ),
            (vec![all, all, s(None, None, 2)], Some(vec![0, 2, 4])),
            (
                vec![Index::Ellipsis, s(Some(3), None, -2)],
                Some(vec![3, 1]),
            ),
            (
                vec![Index::Ellipsis, s(Some(-2), Some(0), -1)],
                Some(vec![3, 2, 1]),
            ),
            (vec![all, all, s(Some(1), Some(4), 2)], Some(vec![1, 3])),
            // A step of 1, another axis sliced, an empty pick.
            (vec![Index::Ellipsis, s(None, None, 1)], None),
            (vec![all, s(None, None, -1), all], None),
            (vec![Index::Ellipsis, s(Some(0), Some(3), -1)], None),
        ] {
            assert_eq!(picked(&key, &[3, 5]), want, "{key:?}");
        }
    }

    #[test]
    fn a_channel_flip_becomes_a_selection_dense() {
        let flip =
            json!([{"class_name": "__ellipsis__"}, {"start": null, "stop": null, "step": -1}]);
        let layers = vec![
            dense("d", 3, "x"),
            // tf_keras resnet.preprocess_input's caffe mode: x[..., ::-1].
            entry(
                "bgr",
                "SlicingOpLambda",
                json!({"function": "__operators__.getitem"}),
                vec![json!([["d", 0, 0, {"slice_spec": flip}]])],
            ),
        ];
        assert_rewrites(
            &[2, 2, 2, 3],
            layers,
            3,
            0.0,
            "bgr (SlicingOpLambda) -> Dense",
        );
        // Keras 3: every other feature of a sequence, x[:, :, ::2].
        let slice = |c: i64| json!({"class_name": "__slice__", "config": {"start": null, "stop": null, "step": c}});
        let all = json!({"class_name": "__slice__", "config": {"start": null, "stop": null, "step": null}});
        let layers = vec![
            dense("d", 5, "x"),
            op(
                "even",
                "GetItem",
                json!({}),
                json!([["d", 0, 0], [all, all, slice(2)]]),
            ),
        ];
        assert_rewrites(&[2, 4, 3], layers, 4, 0.0, "even (ops.GetItem) -> Dense");
    }
}
