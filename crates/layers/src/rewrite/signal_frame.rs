//! `tf.signal.frame(signal, frame_length, frame_step, pad_end, pad_value,
//! axis)` (`TFOpLambda`): TensorFlow.js 4.22 has no layer for it. Frame
//! `f` holds elements `f · step + k` (`k < frame_length`) of the framed
//! axis. On a `[n, 1, R]` view of the signal (the framed axis first, the
//! `R` values of the other non-batch axes as channels):
//!
//! - when `frame_step` divides `frame_length`, by copies
//!   ([`copied_frames`]): the view cut into chunks of `frame_step` steps,
//!   and each frame the `frame_length / frame_step` chunks from its own,
//!   `Cropping2D`s joined by a `Concatenate`: exact;
//! - otherwise a `Conv2D` with a constant one-hot `[frame_length, 1]`
//!   kernel at stride `frame_step`: output channel `k · R + r` of position
//!   `f` is input `(f · step + k, r)`, `x · 1` plus zeros times the frame's
//!   other values: exact for finite inputs (an inf or NaN elsewhere in the
//!   frame would spread as `0 · inf = NaN`), which the rewrite's note says.
//!
//! Then a `Reshape` to `[frames, frame_length, others…]` and, when the
//! framed axis was not the first, `Permute`s around it. With `pad_end` the
//! steps the last frames run past are appended first: zeros by
//! `ZeroPadding2D`, another `pad_value` as a constant (a zero-kernel
//! `Dense` on the pooled signal whose bias is the value, exact for finite
//! inputs, `Concatenate`d after the signal).

use super::extract_patches::{one_hot_conv, one_hot_kernel, MAX_KERNEL};
use super::{concatenate_entry, entry, entry_on, f32_weight, zero_dense, Outcome, Site};
use crate::layers::keras3_ops::Frame;
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "TFOpLambda"
        || site.field("function", Value::as_str) != Some("signal.frame")
    {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "tf.signal.frame (no TensorFlow.js 4.22 layer) and no one-hot Conv2D rewrite: {why}"
        ))
    })
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, input) = site.first_input("its rewrite needs several layers")?;
    let kwargs = first
        .get(3)
        .and_then(Value::as_object)
        .ok_or("its arguments are not recorded")?;
    let frame = Frame::from_tf(kwargs)?;
    let dims = site.static_input()?;
    let rank = dims.len() + 1;
    // The framed axis, counted with the batch (never 0).
    let a = frame.axis(rank)?;
    let n = dims[a - 1];
    let frames = frame.frames(n);
    if frames == 0 {
        return Err(format!("no frame of {} fits {n} steps", frame.length));
    }
    let (len, step) = (frame.length, frame.step);
    let others: Vec<usize> = (1..rank).filter(|&i| i != a).map(|i| dims[i - 1]).collect();
    let r: usize = others.iter().product();
    let depth = len * r;
    if len % step != 0 && depth.checked_mul(depth).is_none_or(|k| k > MAX_KERNEL) {
        return Err(format!(
            "its one-hot kernel ({depth}×{depth} per step) is too large"
        ));
    }
    let pad = ((frames - 1) * step + len).saturating_sub(n);
    let name = site.name;
    let r_ = |n: &str| json!([[n, 0, 0, {}]]);
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    let mut from = input;
    if a > 1 {
        let order: Vec<usize> = std::iter::once(a)
            .chain((1..rank).filter(|&i| i != a))
            .collect();
        let to_front = format!("{name}_to_front");
        layers.push(entry(
            &to_front,
            "Permute",
            json!({ "dims": order }),
            vec![from],
        ));
        from = r_(&to_front);
    }
    let view = format!("{name}_view");
    layers.push(entry(
        &view,
        "Reshape",
        json!({"target_shape": [n, 1, r]}),
        vec![from],
    ));
    let mut signal = view.clone();
    match frame.pad_end {
        Some(v) if pad > 0 && v == 0.0 => {
            let padded = format!("{name}_pad");
            layers.push(entry_on(
                &padded,
                "ZeroPadding2D",
                json!({"padding": [[0, pad], [0, 0]], "data_format": "channels_last"}),
                &view,
            ));
            signal = padded;
        }
        Some(v) if pad > 0 => {
            let [pooled, constant, shaped, padded] =
                ["pooled", "pad_value", "pad_steps", "padded"].map(|s| format!("{name}_{s}"));
            layers.push(entry_on(
                &pooled,
                "GlobalMaxPooling2D",
                json!({"data_format": "channels_last"}),
                &view,
            ));
            layers.push(entry_on(
                &constant,
                "Dense",
                zero_dense(pad * r, true),
                &pooled,
            ));
            weights.push(f32_weight(
                format!("{constant}/kernel"),
                vec![r, pad * r],
                vec![0.0; r * pad * r],
            ));
            weights.push(f32_weight(
                format!("{constant}/bias"),
                vec![pad * r],
                vec![v; pad * r],
            ));
            layers.push(entry_on(
                &shaped,
                "Reshape",
                json!({"target_shape": [pad, 1, r]}),
                &constant,
            ));
            layers.push(entry(
                &padded,
                "Concatenate",
                json!({"axis": 1}),
                vec![json!([[view, 0, 0, {}], [shaped, 0, 0, {}]])],
            ));
            site.note("exact for finite inputs (pad_value as 0 · x + pad_value)");
            signal = padded;
        }
        _ => {}
    }
    let framed = if len % step == 0 {
        copied_frames(name, &signal, n + pad, [frames, len, step, r], &mut layers)
    } else {
        let conv = format!("{name}_onehot");
        layers.push(entry_on(
            &conv,
            "Conv2D",
            one_hot_conv(depth, [len, 1], [step, 1], [1, 1]),
            &signal,
        ));
        // [len, 1, r, depth]: row (k, r), column k · R + r.
        weights.push(f32_weight(
            format!("{conv}/kernel"),
            vec![len, 1, r, depth],
            one_hot_kernel(depth),
        ));
        site.note("exact for finite inputs (an inf or NaN in a frame spreads as 0 · inf)");
        conv
    };
    let shape: Vec<usize> = [frames, len].into_iter().chain(others).collect();
    let outer = a - 1;
    let split = if outer > 0 {
        format!("{name}_frames")
    } else {
        name.to_string()
    };
    layers.push(entry_on(
        &split,
        "Reshape",
        json!({ "target_shape": shape }),
        &framed,
    ));
    if outer > 0 {
        // [frames, len, outer…, inner…] → [outer…, frames, len, inner…].
        let back: Vec<usize> = (3..3 + outer)
            .chain([1, 2])
            .chain(3 + outer..rank + 1)
            .collect();
        layers.push(entry_on(name, "Permute", json!({ "dims": back }), &split));
    }
    Ok(Outcome::Replace { layers, weights })
}

/// The frames of `signal` (`[steps, 1, R]`, `steps` long) when `step`
/// divides `len`, by copies: a `Cropping2D` of the steps past the last
/// frame, a `Reshape` to `[chunks, 1, step · R]` (chunk `c` holds steps
/// `c · step …`), then for each of the `len / step` chunks of a frame a
/// `Cropping2D` of the `frames` chunks starting there, joined along the
/// channels (`Concatenate`): position `f` holds chunks `f …`, steps `f ·
/// step …`, as `[1, len · R]`. Returns the last layer's name.
fn copied_frames(
    name: &str,
    signal: &str,
    steps: usize,
    [frames, len, step, r]: [usize; 4],
    layers: &mut Vec<Value>,
) -> String {
    let per = len / step;
    let chunks = frames - 1 + per;
    let mut from = signal.to_string();
    if steps > chunks * step {
        let cut = format!("{name}_used");
        layers.push(entry_on(
            &cut,
            "Cropping2D",
            json!({"cropping": [[0, steps - chunks * step], [0, 0]],
                   "data_format": "channels_last"}),
            &from,
        ));
        from = cut;
    }
    let chunked = format!("{name}_chunks");
    layers.push(entry_on(
        &chunked,
        "Reshape",
        json!({"target_shape": [chunks, 1, step * r]}),
        &from,
    ));
    if per == 1 {
        return chunked;
    }
    let parts: Vec<String> = (0..per)
        .map(|j| {
            let part = format!("{name}_chunk{j}");
            layers.push(entry_on(
                &part,
                "Cropping2D",
                json!({"cropping": [[j, per - 1 - j], [0, 0]], "data_format": "channels_last"}),
                &chunked,
            ));
            part
        })
        .collect();
    let joined = format!("{name}_joined");
    let inputs = parts.iter().map(|p| json!([p, 0, 0, {}])).collect();
    layers.push(concatenate_entry(&joined, -1, inputs));
    joined
}

#[cfg(test)]
mod tests {
    use super::super::probes::tf;
    use super::super::test_util::*;

    #[test]
    fn frames_become_copies_or_a_one_hot_conv2d() {
        // tfop_signal_frame's calls on [batch, 15] and [batch, 9, 2], and
        // an inner axis of a rank-4 signal; (shape, kwargs, note, exact for
        // finite inputs only: a one-hot Conv2D or a constant pad_value).
        for (shape, kwargs, note, finite_only) in [
            (
                vec![2, 15],
                json!({"frame_length": 4, "frame_step": 2}),
                "f (TFOpLambda) -> Reshape + Cropping2D + Reshape + Cropping2D + Cropping2D + \
                 Concatenate + Reshape",
                false,
            ),
            (
                vec![2, 15],
                json!({"frame_length": 5, "frame_step": 3, "pad_end": true, "pad_value": 0.5}),
                "f (TFOpLambda) -> Reshape + GlobalMaxPooling2D + Dense + Reshape + Concatenate \
                 + Conv2D + Reshape",
                true,
            ),
            (
                vec![2, 15],
                json!({"frame_length": 4, "frame_step": 4, "pad_end": true}),
                "f (TFOpLambda) -> Reshape + ZeroPadding2D + Reshape + Reshape",
                false,
            ),
            (
                vec![2, 9, 2],
                json!({"frame_length": 3, "frame_step": 2, "axis": -2}),
                "f (TFOpLambda) -> Reshape + Conv2D + Reshape",
                true,
            ),
            (
                vec![2, 3, 7, 2],
                json!({"frame_length": 2, "frame_step": 3, "axis": 2, "pad_end": true}),
                "f (TFOpLambda) -> Permute + Reshape + ZeroPadding2D + Conv2D + Reshape + Permute",
                true,
            ),
            (
                vec![2, 3, 8, 2],
                json!({"frame_length": 6, "frame_step": 2, "axis": 2, "pad_end": true,
                       "pad_value": -1.5}),
                "f (TFOpLambda) -> Permute + Reshape + GlobalMaxPooling2D + Dense + Reshape + \
                 Concatenate + Reshape + Cropping2D + Cropping2D + Cropping2D + Concatenate + \
                 Reshape + Permute",
                true,
            ),
        ] {
            let layers = vec![tf("f", "signal.frame", "x", kwargs)];
            let model = functional(&shape[1..], layers, 3);
            let out = assert_same(&model, &input(&shape), 0.0);
            assert_note(&out, note);
            let finite = out
                .notes
                .iter()
                .any(|n| n.contains("exact for finite inputs"));
            assert_eq!(finite, finite_only, "{:?}", out.notes);
        }
    }

    #[test]
    fn no_frames_are_refused() {
        let layers = vec![tf(
            "f",
            "signal.frame",
            "x",
            json!({"frame_length": 9, "frame_step": 2}),
        )];
        let model = functional(&[5], layers, 3);
        assert_refused(
            &model,
            &["`f` (TFOpLambda): tf.signal.frame", "no frame of 9"],
        );
    }
}
