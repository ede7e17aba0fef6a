//! Zero padding written as a function: Keras 2's `tf.pad` /
//! `tf.compat.v1.pad` (mode `CONSTANT`) and Keras 3's `ops.pad` (mode
//! `constant`) with the value 0, of a `[batch, steps, channels]` sequence
//! (a causal convolution's left padding) or an NHWC image, the batch and
//! channel axes unpadded → `ZeroPadding2D` (a sequence on a `[steps, 1,
//! channels]` view, as [`super::pad_crop_1d`]). Mirror modes are
//! [`super::pad_reflect`]'s; other modes, values or axes are refused,
//! naming the function.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["pad", "compat.v1.pad"], &["ops.Pad"]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

/// The call's keyword arguments (Keras 2: `paddings`, `mode`,
/// `constant_values`); Keras 3 keeps its in the layer's config.
fn kwargs<'s>(site: &'s Site<'_>) -> Option<&'s serde_json::Map<String, Value>> {
    let node = site.inbound_nodes?.first()?;
    node.as_array()?.first()?.as_array()?.get(3)?.as_object()
}

/// The padding mode as written (`"constant"` when not given).
pub(super) fn mode(site: &Site<'_>) -> String {
    let mode = if site.class_name == "ops.Pad" {
        site.config.get("mode")
    } else {
        kwargs(site).and_then(|k| k.get("mode"))
    };
    mode.and_then(Value::as_str)
        .unwrap_or("constant")
        .to_string()
}

/// The constant `[before, after]` widths of every axis.
pub(super) fn widths(site: &Site<'_>) -> Result<Vec<[u64; 2]>, String> {
    let widths = if site.class_name == "ops.Pad" {
        site.config.get("pad_width")
    } else {
        kwargs(site).and_then(|k| k.get("paddings"))
    };
    widths
        .and_then(Value::as_array)
        .and_then(|rows| {
            rows.iter()
                .map(|r| match r.as_array()?.as_slice() {
                    [a, b] => Some([a.as_u64()?, b.as_u64()?]),
                    _ => None,
                })
                .collect()
        })
        .ok_or_else(|| "the paddings are not constant [before, after] pairs".into())
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (_, node) = site.first_input("outside a functional model")?;
    let mode = mode(site);
    if !mode.eq_ignore_ascii_case("constant") {
        return Err(format!(
            "mode {mode:?} has no TF.js layer (ZeroPadding pads with 0)"
        ));
    }
    match kwargs(site).and_then(|k| k.get("constant_values")) {
        None | Some(Value::Null) => {}
        Some(v) if v.as_f64() == Some(0.0) => {}
        Some(v) => return Err(format!("constant_values {v} (ZeroPadding pads with 0)")),
    }
    let widths = widths(site)?;
    let (Some(batch), Some(channels)) = (widths.first(), widths.last()) else {
        return Err("no paddings".into());
    };
    if *batch != [0, 0] || *channels != [0, 0] {
        return Err("padding the batch or channel axis has no TF.js layer".into());
    }
    match widths.len() {
        3 => super::pad_crop_1d::on_steps_view(
            site,
            node,
            "ZeroPadding2D",
            "padding",
            (widths[1][0], widths[1][1]),
        ),
        4 => Ok(Outcome::weightless(vec![entry(
            site.name,
            "ZeroPadding2D",
            json!({"padding": [widths[1], widths[2]], "data_format": "channels_last"}),
            vec![node],
        )])),
        n => Err(format!(
            "only [batch, steps, channels] and NHWC inputs are rewritten, got rank {n}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;
    use serde_json::json;

    #[test]
    fn zero_pads_of_sequences_become_zero_padding_2d() {
        // A causal convolution's left padding, both Kerases' spellings.
        let layers = vec![
            tf(
                "p",
                "compat.v1.pad",
                "x",
                json!({"paddings": [[0, 0], [2, 0], [0, 0]], "mode": "CONSTANT",
                       "constant_values": 0}),
            ),
            op(
                "q",
                "Pad",
                json!({"pad_width": [[0, 0], [1, 3], [0, 0]], "mode": "constant"}),
                json!([["p", 0, 0]]),
            ),
        ];
        assert_rewrites(
            &[2, 5, 3],
            layers.clone(),
            7,
            0.0,
            "p (TFOpLambda) -> Reshape + ZeroPadding2D + Reshape",
        );
        assert_rewrites(
            &[2, 5, 3],
            layers,
            7,
            0.0,
            "q (ops.Pad) -> Reshape + ZeroPadding2D + Reshape",
        );
    }

    #[test]
    fn zero_pads_of_images_become_zero_padding_2d() {
        let layers = vec![tf(
            "p",
            "pad",
            "x",
            json!({"paddings": [[0, 0], [1, 2], [0, 1], [0, 0]]}),
        )];
        assert_rewrites(
            &[2, 3, 4, 2],
            layers,
            7,
            0.0,
            "p (TFOpLambda) -> ZeroPadding2D",
        );
    }

    #[test]
    fn other_pads_are_refused() {
        let layers = vec![
            tf(
                "c",
                "compat.v1.pad",
                "x",
                json!({"paddings": [[0, 0], [0, 0], [1, 0]]}),
            ),
            tf(
                "v",
                "compat.v1.pad",
                "c",
                json!({"paddings": [[0, 0], [1, 0], [0, 0]], "constant_values": 1.5}),
            ),
        ];
        let model = functional(&[5, 3], layers, 7);
        assert_refused(
            &model,
            &[
                "`c` (TFOpLambda): tf.compat.v1.pad: padding the batch or channel axis",
                "`v` (TFOpLambda): tf.compat.v1.pad: constant_values 1.5",
            ],
        );
    }
}
