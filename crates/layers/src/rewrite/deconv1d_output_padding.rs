//! `Conv1DTranspose` with `output_padding`: TensorFlow.js 4.22 has no
//! `Conv1DTranspose`, and its `Conv2DTranspose` ignores `output_padding`.
//! On the `[steps, 1, channels]` view of `conv1d_as_2d.rs` the layer is a
//! `Conv2DTranspose` with `[k, 1]` kernels, and Keras's output is a window
//! of TF.js's as `deconv_output_padding.rs` finds it for the 2-D layer
//! ([`plan`]): `Reshape` + (`ZeroPadding2D` of zero steps after the input,
//! which only extend the full transposed convolution with positions that
//! get no input, as Keras's extra positions do) + `Conv2DTranspose` +
//! `Cropping2D` + `Reshape`. The same products and sums per position, so
//! the same numbers. Dilated, grouped or `channels_first` layers, and
//! geometries with no covering window, are refused.

use super::conv1d_as_2d::{as_2d_weights, conv2d_config, conv_geometry};
use super::deconv_output_padding::plan;
use super::{chain_entries, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Conv1DTranspose" {
        return Outcome::Skip;
    }
    let Some(output_padding) = site.config.get("output_padding").filter(|v| !v.is_null()) else {
        return Outcome::Skip;
    };
    if let Some(why) = super::activations::kept_activation_problem(site) {
        return Outcome::Cannot(format!("output_padding: {why}"));
    }
    rewrite(site, output_padding).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "output_padding (TensorFlow.js 4.22 has no Conv1DTranspose and its \
             Conv2DTranspose ignores output_padding) and no exact rewrite: {why}"
        ))
    })
}

fn rewrite(site: &Site<'_>, output_padding: &Value) -> Result<Outcome, String> {
    let c = site.config;
    let op = match output_padding {
        Value::Array(a) if a.len() == 1 => a[0].as_u64(),
        v => v.as_u64(),
    }
    .ok_or("output_padding is not an integer")? as usize;
    let (k, s, d, filters) = conv_geometry(c)?;
    if d != 1 || c.get("groups").and_then(Value::as_u64).unwrap_or(1) != 1 {
        return Err("a dilated or grouped transposed convolution is not rewritten".into());
    }
    if c.get("data_format").and_then(Value::as_str) == Some("channels_first") {
        return Err("channels_first is not rewritten".into());
    }
    let padding = c.get("padding").and_then(Value::as_str).unwrap_or("valid");
    if !matches!(padding, "valid" | "same") {
        return Err(format!("padding {padding:?}"));
    }
    let (k, s) = (
        usize::try_from(k).map_err(|_| "kernel_size")?,
        usize::try_from(s).map_err(|_| "strides")?,
    );
    let dims = site.static_input()?;
    let [steps, channels] = dims[..] else {
        return Err(format!(
            "expected a static [batch, steps, channels] input, got {dims:?}"
        ));
    };
    let (extra, before, after) = plan(steps, k, s, padding == "same", op).ok_or_else(|| {
        format!(
            "no window of TensorFlow.js's output matches Keras's (input {steps}, kernel {k}, \
             stride {s}, output_padding {op})"
        )
    })?;
    let out_steps = site
        .shapes
        .and_then(|sh| sh.outputs.first())
        .and_then(|o| o.get(1).copied().flatten())
        .ok_or("its output length is unknown")?;
    let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
    let name = site.name;
    let inner = format!("{name}_2d");
    let weights = as_2d_weights(site, &inner, &[("kernel", true), ("bias", false)], use_bias)?;
    let mut config = conv2d_config(c, filters, [k as i64, s as i64, 1], padding, use_bias);
    config["output_padding"] = Value::Null;
    let mut steps_chain = vec![(
        format!("{name}_as_2d"),
        "Reshape",
        json!({"target_shape": [steps, 1, channels]}),
    )];
    if extra > 0 {
        steps_chain.push((
            format!("{name}_pad"),
            "ZeroPadding2D",
            json!({"padding": [[0, extra], [0, 0]], "data_format": "channels_last"}),
        ));
    }
    steps_chain.extend([
        (inner, "Conv2DTranspose", config),
        (
            format!("{name}_window"),
            "Cropping2D",
            json!({"cropping": [[before, after], [0, 0]], "data_format": "channels_last"}),
        ),
        (
            name.to_string(),
            "Reshape",
            json!({"target_shape": [out_steps, filters]}),
        ),
    ]);
    let node = site.single_call("its rewrite needs several layers")?;
    Ok(Outcome::Replace {
        layers: chain_entries(node, steps_chain),
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn output_padding_becomes_a_window_of_the_2d_layer() {
        // ae_output_padding's dec1d first (valid, k 3, s 2, output_padding 1).
        let rows = [
            ("valid", 1, 3, 2),
            ("same", 1, 3, 2),
            ("same", 0, 4, 3),
            ("valid", 2, 2, 3),
        ]
        .iter()
        .enumerate()
        .map(|(i, (padding, op, k, s))| {
            json!([format!("up{i}"), "Conv1DTranspose", {"filters": 2, "kernel_size": k,
                   "strides": s, "padding": padding, "output_padding": op, "activation": "relu"}])
        })
        .collect();
        let layers = chain("x", serde_json::Value::Array(rows));
        let model = functional(&[4, 3], layers, 9);
        let out = assert_same(&model, &input(&[2, 4, 3]), 1e-5);
        assert_note(
            &out,
            "up0 (Conv1DTranspose) -> Reshape + ZeroPadding2D + Conv2DTranspose + Cropping2D + \
             Reshape",
        );
        assert_eq!(out.notes.len(), 4, "{:?}", out.notes);
    }

    #[test]
    fn dilated_output_padding_is_refused() {
        let layers = vec![entry_on(
            "up",
            "Conv1DTranspose",
            json!({"filters": 2, "kernel_size": 3, "strides": 1, "dilation_rate": 2,
                   "output_padding": 0}),
            "x",
        )];
        let model = functional(&[4, 3], layers, 9);
        assert_refused(
            &model,
            &["`up` (Conv1DTranspose): output_padding", "a dilated"],
        );
    }
}
