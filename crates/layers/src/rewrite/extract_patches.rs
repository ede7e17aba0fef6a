//! `tf.image.extract_patches` (`TFOpLambda`) and Keras 3's
//! `ops.image.extract_patches` (`ops.ExtractPatches`): TensorFlow.js 4.22
//! has no layer for them. Output channel `(i · size_w + j) · C + c`
//! (TensorFlow's patch order: row, column, channel) is the input value at
//! patch offset `(i, j)` of channel `c`. First `ZeroPadding2D` with
//! TensorFlow's `same` split (the smaller half first) when the patches
//! reach past the border, then:
//!
//! - patches that tile the image (strides = size, no rates; a ViT's patch
//!   embedding) by copies: a `Cropping2D` of the rows and columns past the
//!   last whole patch (`valid`), a `Reshape` to `[out_h, size_h, out_w,
//!   size_w · C]`, a `Permute` of the middle axes and a `Reshape` to
//!   `[out_h, out_w, depth]`: exact;
//! - other patches by a `valid` `Conv2D` with a constant one-hot kernel
//!   (`kernel[i, j, c, (i · size_w + j) · C + c] = 1`, no bias), as Keras
//!   3 itself computes them, with the op's strides and `dilation_rate` (its
//!   `rates`). TF.js's convolution takes strides or dilations but not both:
//!   then the `Conv2D` runs at stride 1 and a `MaxPooling2D` of 1×1
//!   windows with the strides keeps every stride-th position. Each output
//!   is `x · 1` plus zeros times the window's other values: exact for
//!   finite inputs (an inf or NaN elsewhere in the window would spread as
//!   `0 · inf = NaN`), which the rewrite's note says.
//!
//! Keras 3's `channels_first` images go through `Permute`s.

use super::{chain_entries, f32_weight, Outcome, Site, Step};
use crate::config::ConfigReader;
use crate::layers::keras3_ops::Patches;
use serde_json::{json, Value};

/// The largest one-hot kernel written (elements; also `signal_frame.rs`).
pub(super) const MAX_KERNEL: usize = 1 << 24;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let patches = match site.class_name {
        "ops.ExtractPatches" => Patches::from_config(&ConfigReader::new(site.name, site.config))
            .map_err(|e| e.to_string()),
        "TFOpLambda" if site.field("function", Value::as_str) == Some("image.extract_patches") => {
            match site
                .single_call("")
                .ok()
                .and_then(|n| n.pointer("/0/3"))
                .and_then(Value::as_object)
            {
                Some(kwargs) => Patches::from_tf(kwargs),
                None => Err("its arguments are not recorded".into()),
            }
        }
        _ => return Outcome::Skip,
    };
    patches
        .and_then(|p| rewrite(site, &p))
        .unwrap_or_else(|why| {
            Outcome::Cannot(format!(
                "extract_patches (no TensorFlow.js 4.22 layer) and no one-hot Conv2D rewrite: \
                 {why}"
            ))
        })
}

fn rewrite(site: &Site<'_>, p: &Patches) -> Result<Outcome, String> {
    let dims = site.static_input()?;
    let [h, w, c] = match (&dims[..], p.channels_first) {
        (&[h, w, c], false) => [h, w, c],
        (&[c, h, w], true) => [h, w, c],
        _ => return Err(format!("expected static rank-4 images, got {dims:?}")),
    };
    let [kh, kw] = p.size;
    let depth = kh * kw * c;
    // Non-overlapping patches tile the image: copies.
    let tiles = p.strides == p.size && p.rates == [1, 1];
    if !tiles && depth.checked_mul(depth).is_none_or(|n| n > MAX_KERNEL) {
        return Err(format!(
            "its one-hot kernel ({depth}×{depth} per position) is too large"
        ));
    }
    let (oh, top, bottom) = p.pads(0, h)?;
    let (ow, left, right) = p.pads(1, w)?;
    let name = site.name;
    let mut steps: Vec<Step<'_>> = Vec::new();
    if p.channels_first {
        steps.push((
            format!("{name}_to_last"),
            "Permute",
            json!({"dims": [2, 3, 1]}),
        ));
    }
    if top + bottom + left + right > 0 {
        steps.push((
            format!("{name}_pad"),
            "ZeroPadding2D",
            json!({"padding": [[top, bottom], [left, right]], "data_format": "channels_last"}),
        ));
    }
    let mut weights = Vec::new();
    if tiles {
        // `valid` leaves the rows and columns past the last whole patch.
        let (cut_h, cut_w) = (h + top + bottom - oh * kh, w + left + right - ow * kw);
        if cut_h + cut_w > 0 {
            steps.push((
                format!("{name}_whole"),
                "Cropping2D",
                json!({"cropping": [[0, cut_h], [0, cut_w]], "data_format": "channels_last"}),
            ));
        }
        steps.extend([
            (
                format!("{name}_rows"),
                "Reshape",
                json!({"target_shape": [oh, kh, ow, kw * c]}),
            ),
            (
                format!("{name}_tiles"),
                "Permute",
                json!({"dims": [1, 3, 2, 4]}),
            ),
            (
                format!("{name}_patches"),
                "Reshape",
                json!({"target_shape": [oh, ow, depth]}),
            ),
        ]);
    } else {
        // TF.js's conv2d takes strides or dilations, not both.
        let both = p.strides != [1, 1] && p.rates != [1, 1];
        let conv = format!("{name}_onehot");
        let strides = if both { [1, 1] } else { p.strides };
        steps.push((
            conv.clone(),
            "Conv2D",
            one_hot_conv(depth, p.size, strides, p.rates),
        ));
        if both {
            steps.push((
                format!("{name}_strided"),
                "MaxPooling2D",
                json!({"pool_size": [1, 1], "strides": p.strides, "padding": "valid",
                       "data_format": "channels_last"}),
            ));
        }
        // Named after the layer when it comes last.
        let conv = if steps.last().is_some_and(|l| l.0 == conv) && !p.channels_first {
            name.to_string()
        } else {
            conv
        };
        weights.push(f32_weight(
            format!("{conv}/kernel"),
            vec![kh, kw, c, depth],
            one_hot_kernel(depth),
        ));
        site.note("exact for finite inputs (an inf or NaN in a patch spreads as 0 · inf)");
    }
    if p.channels_first {
        steps.push((
            format!("{name}_to_first"),
            "Permute",
            json!({"dims": [3, 1, 2]}),
        ));
    }
    if let Some(last) = steps.last_mut() {
        last.0 = name.to_string();
    }
    let (_, node) = site.first_input("its rewrite needs several layers")?;
    Ok(Outcome::Replace {
        layers: chain_entries(&node, steps),
        weights,
    })
}

/// A linear, bias-free `Conv2D` config of `filters` `kernel_size` windows
/// (`valid`), whose kernel [`one_hot_kernel`] is written with the rewrite
/// (also `signal_frame.rs`).
pub(super) fn one_hot_conv(
    filters: usize,
    kernel_size: [usize; 2],
    strides: [usize; 2],
    dilation_rate: [usize; 2],
) -> Value {
    json!({
        "filters": filters, "kernel_size": kernel_size, "strides": strides,
        "padding": "valid", "data_format": "channels_last", "dilation_rate": dilation_rate,
        "activation": "linear", "use_bias": false,
        "kernel_initializer": {"class_name": "Zeros", "config": {}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
        "kernel_constraint": null, "bias_constraint": null,
    })
}

/// The kernel `[kh, kw, c, depth]` (`depth = kh · kw · c`) copying input
/// `(i, j, ch)` of a window to output channel `(i · kw + j) · c + ch`:
/// row-major, the `depth × depth` identity.
pub(super) fn one_hot_kernel(depth: usize) -> Vec<f32> {
    let mut kernel = vec![0f32; depth * depth];
    for at in 0..depth {
        kernel[at * depth + at] = 1.0;
    }
    kernel
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    #[test]
    fn patches_become_a_one_hot_conv2d() {
        // tf.image.extract_patches of [sizes, strides, rates] (each `[1, h, w, 1]`).
        let patches = |[sizes, strides, rates]: [[u64; 2]; 3], padding: &str| {
            let nhwc = |v: [u64; 2]| json!([1, v[0], v[1], 1]);
            let kwargs = json!({"sizes": nhwc(sizes), "strides": nhwc(strides),
                                "rates": nhwc(rates), "padding": padding});
            tf("p", "image.extract_patches", "x", kwargs)
        };
        let keras3 =
            |config: serde_json::Value| op("p", "ExtractPatches", config, json!([["x", 0, 0]]));
        for (layer, note) in [
            // vit_patches: VALID 4×4 patches, SAME 3×3 with stride 2.
            (
                patches([[4, 4], [4, 4], [1, 1]], "VALID"),
                "p (TFOpLambda) -> Cropping2D + Reshape + Permute + Reshape",
            ),
            (
                patches([[3, 2], [3, 2], [1, 1]], "SAME"),
                "p (TFOpLambda) -> ZeroPadding2D + Reshape + Permute + Reshape",
            ),
            (
                patches([[3, 3], [1, 1], [1, 1]], "VALID"),
                "p (TFOpLambda) -> Conv2D",
            ),
            (
                patches([[3, 3], [2, 2], [1, 1]], "SAME"),
                "p (TFOpLambda) -> ZeroPadding2D + Conv2D",
            ),
            // Strides and rates together: a stride-1 dilated Conv2D, then 1×1 pooling.
            (
                patches([[2, 3], [3, 2], [2, 1]], "SAME"),
                "p (TFOpLambda) -> ZeroPadding2D + Conv2D + MaxPooling2D",
            ),
            (
                keras3(
                    json!({"size": [2, 3], "strides": [1, 2], "dilation_rate": 1,
                              "padding": "same", "data_format": "channels_last"}),
                ),
                "p (ops.ExtractPatches) -> ZeroPadding2D + Conv2D",
            ),
            (
                keras3(json!({"size": 2, "strides": null, "dilation_rate": 2,
                              "padding": "valid", "data_format": "channels_first"})),
                "p (ops.ExtractPatches) -> Permute + Conv2D + MaxPooling2D + Permute",
            ),
            (
                keras3(json!({"size": [3, 2], "strides": null, "dilation_rate": 1,
                              "padding": "valid", "data_format": "channels_first"})),
                "p (ops.ExtractPatches) -> Permute + Cropping2D + Reshape + Permute + Reshape + \
                 Permute",
            ),
        ] {
            let model = functional(&[8, 7, 3], vec![layer], 5);
            let out = assert_same(&model, &input(&[2, 8, 7, 3]), 0.0);
            assert_note(&out, note);
            let finite = out
                .notes
                .iter()
                .any(|n| n.contains("exact for finite inputs"));
            assert_eq!(finite, note.contains("Conv2D"), "{:?}", out.notes);
        }
    }
}
