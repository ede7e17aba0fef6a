//! Mirror padding written as a function: Keras 2's `tf.pad` /
//! `tf.compat.v1.pad` with mode `REFLECT` or `SYMMETRIC` and Keras 3's
//! `ops.pad` with mode `reflect` or `symmetric` (CycleGAN's and fast style
//! transfer's `ReflectionPadding2D`, written as the function), of an NHWC
//! image or a `[batch, steps, channels]` sequence (on a `[steps, 1,
//! channels]` view) with the batch and channel axes unpadded and a static
//! size → per padded axis, each mirrored row (column) cut out by a
//! `Cropping2D` of one row, and a `Concatenate` of those before the
//! tensor, the tensor, and those after it. TensorFlow's `MirrorPad`: with
//! `n` rows and `p` before, padded row `j < p` is row `p − j` (REFLECT,
//! the edge not repeated, `p ≤ n − 1`) or `p − 1 − j` (SYMMETRIC, `p ≤
//! n`); after, row `j` is `n − 2 − j` or `n − 1 − j`. Copies only: exact.
//! Wider pads, other axes and unknown sizes are refused, naming the
//! function.

use super::{concatenate_entry, entry, Outcome, Site};
use serde_json::json;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["pad", "compat.v1.pad"], &["ops.Pad"]) else {
        return Outcome::Skip;
    };
    let symmetric = match super::pad_zeros::mode(site).to_ascii_lowercase().as_str() {
        "reflect" => false,
        "symmetric" => true,
        _ => return Outcome::Skip,
    };
    rewrite(site, symmetric).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>, symmetric: bool) -> Result<Outcome, String> {
    let (_, node) = site.first_input("outside a functional model")?;
    let widths = super::pad_zeros::widths(site)?;
    let (Some(batch), Some(channels)) = (widths.first(), widths.last()) else {
        return Err("no paddings".into());
    };
    if *batch != [0, 0] || *channels != [0, 0] {
        return Err("mirror padding the batch or channel axis has no TF.js layer".into());
    }
    let dims = site.static_input()?;
    if dims.len() + 1 != widths.len() {
        return Err(format!(
            "{} paddings for an input of rank {}",
            widths.len(),
            dims.len() + 1
        ));
    }
    let name = site.name;
    let mut layers = Vec::new();
    // The tensor being padded (a fresh inbound node) and its [rows, cols].
    let (mut from, mut size, axes) = match (&dims[..], &widths[..]) {
        ([h, w, _], [_, rows, cols, _]) => (node, [*h, *w], vec![(1, *rows), (2, *cols)]),
        ([steps, c], [_, rows, _]) => {
            let view = format!("{name}_as_2d");
            layers.push(entry(
                &view,
                "Reshape",
                json!({"target_shape": [steps, 1, c]}),
                vec![node],
            ));
            (json!([[view, 0, 0, {}]]), [*steps, 1], vec![(1, *rows)])
        }
        _ => {
            return Err(format!(
                "only [batch, steps, channels] and NHWC inputs are rewritten, got rank {}",
                dims.len() + 1
            ))
        }
    };
    let axes: Vec<(usize, [u64; 2])> = axes.into_iter().filter(|(_, p)| *p != [0, 0]).collect();
    let kind = if symmetric { "SYMMETRIC" } else { "REFLECT" };
    for (k, &(axis, [before, after])) in axes.iter().enumerate() {
        let n = size[axis - 1] as u64;
        let most = if symmetric { n } else { n.saturating_sub(1) };
        if before.max(after) > most {
            return Err(format!(
                "{kind} padding of {before} / {after} on an axis of {n} (at most {most})"
            ));
        }
        let src = from[0].clone();
        let crop = |tag: &str, j: u64, row: u64| {
            let cut = [row, n - 1 - row];
            let cropping = if axis == 1 {
                json!([cut, [0, 0]])
            } else {
                json!([[0, 0], cut])
            };
            let crop_name = format!("{name}_{tag}{axis}_{j}");
            let e = entry(
                &crop_name,
                "Cropping2D",
                json!({"cropping": cropping, "data_format": "channels_last"}),
                vec![json!([src.clone()])],
            );
            (e, json!([crop_name, 0, 0, {}]))
        };
        let skip = u64::from(!symmetric);
        let mut parts = Vec::new();
        for j in 0..before {
            let (e, r) = crop("before", j, before - j - 1 + skip);
            layers.push(e);
            parts.push(r);
        }
        parts.push(src.clone());
        for j in 0..after {
            let (e, r) = crop("after", j, n - 1 - j - skip);
            layers.push(e);
            parts.push(r);
        }
        let last = k + 1 == axes.len() && dims.len() == 3;
        let joined = if last {
            name.to_string()
        } else {
            format!("{name}_axis{axis}")
        };
        layers.push(concatenate_entry(&joined, axis as i64, parts));
        size[axis - 1] += (before + after) as usize;
        from = json!([[joined, 0, 0, {}]]);
    }
    if dims.len() == 2 {
        layers.push(entry(
            name,
            "Reshape",
            json!({"target_shape": [size[0], dims[1]]}),
            vec![from],
        ));
    } else if axes.is_empty() {
        layers.push(entry(
            name,
            "Activation",
            json!({"activation": "linear"}),
            vec![from],
        ));
    }
    Ok(Outcome::weightless(layers))
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;
    use serde_json::json;

    #[test]
    fn mirror_pads_of_images_become_crops_and_concatenations() {
        // CycleGAN's ReflectionPadding2D as tf.pad REFLECT (3 rows of 4:
        // the most REFLECT allows) and ops.pad symmetric (as many as the
        // axis has), unequal before / after.
        let layers = vec![
            tf(
                "r",
                "compat.v1.pad",
                "x",
                json!({"paddings": [[0, 0], [3, 1], [2, 0], [0, 0]], "mode": "REFLECT"}),
            ),
            op(
                "s",
                "Pad",
                json!({"pad_width": [[0, 0], [0, 4], [3, 1], [0, 0]], "mode": "symmetric"}),
                json!([["r", 0, 0]]),
            ),
        ];
        assert_rewrites(
            &[2, 4, 3, 2],
            layers.clone(),
            7,
            0.0,
            "r (TFOpLambda) -> Cropping2D + Cropping2D",
        );
        assert_rewrites(
            &[2, 4, 3, 2],
            layers,
            7,
            0.0,
            "s (ops.Pad) -> Cropping2D + Cropping2D",
        );
    }

    #[test]
    fn mirror_pads_of_sequences_pad_a_2d_view() {
        let layers = vec![tf(
            "p",
            "pad",
            "x",
            json!({"paddings": [[0, 0], [2, 2], [0, 0]], "mode": "SYMMETRIC"}),
        )];
        assert_rewrites(
            &[2, 5, 3],
            layers,
            7,
            0.0,
            "p (TFOpLambda) -> Reshape + Cropping2D",
        );
    }

    #[test]
    fn mirror_pads_wider_than_the_axis_or_of_channels_are_refused() {
        let layers = vec![
            tf(
                "w",
                "pad",
                "x",
                json!({"paddings": [[0, 0], [4, 0], [0, 0], [0, 0]], "mode": "REFLECT"}),
            ),
            tf(
                "c",
                "pad",
                "w",
                json!({"paddings": [[0, 0], [0, 0], [0, 0], [1, 1]], "mode": "SYMMETRIC"}),
            ),
        ];
        let model = functional(&[4, 3, 2], layers, 7);
        assert_refused(
            &model,
            &[
                "`w` (TFOpLambda): tf.pad: REFLECT padding of 4 / 0 on an axis of 4 (at most 3)",
                "`c` (TFOpLambda): tf.pad: mirror padding the batch or channel axis",
            ],
        );
    }
}
