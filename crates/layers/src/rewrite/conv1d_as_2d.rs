//! 1-D layers TensorFlow.js 4.22 lacks, as their 2-D counterparts on a
//! `[steps, 1, channels]` view (`Reshape` in and out):
//!
//! - `UpSampling1D(size)` → `UpSampling2D(size=[size, 1])` (row repeats);
//! - `SeparableConv1D` → `SeparableConv2D` with `[k, 1]` kernels (the same
//!   weights, reshaped), strides and dilation `[s, 1]`;
//! - `DepthwiseConv1D` → `DepthwiseConv2D` likewise (undilated only:
//!   TF.js 4.22's `DepthwiseConv2D` ignores its dilation);
//! - `Conv1DTranspose` → `Conv2DTranspose` likewise (undilated, and not
//!   `valid` with a kernel shorter than the stride, where TF.js 4.22 sizes
//!   the output otherwise; with `output_padding`:
//!   [`super::deconv1d_output_padding`]);
//! - `Conv1D` with `padding: "causal"` (TF.js 4.22: "not implemented
//!   yet") → `ZeroPadding2D` of `dilation * (kernel - 1)` leading steps and
//!   a `valid` `Conv2D` with a `[k, 1]` kernel;
//! - `ConvLSTM1D` → `ConvLSTM2D` ([`super::conv_lstm1d`]).

use super::{entry, entry_on, f32_weight, Outcome, Site};
use serde_json::{json, Map, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule: applies to `UpSampling1D`, `SeparableConv1D`,
/// `DepthwiseConv1D`, `Conv1DTranspose` and causal `Conv1D`.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name == "ConvLSTM1D" {
        return super::conv_lstm1d::rule(site);
    }
    let causal =
        site.class_name == "Conv1D" && site.field("padding", Value::as_str) == Some("causal");
    if !matches!(
        site.class_name,
        "UpSampling1D" | "SeparableConv1D" | "DepthwiseConv1D" | "Conv1DTranspose"
    ) && !causal
    {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(Outcome::Cannot)
}

fn one_int(v: Option<&Value>, default: i64) -> Option<i64> {
    match v {
        None | Some(Value::Null) => Some(default),
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
        Some(v) => v.as_i64(),
    }
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let shape = site
        .shapes
        .and_then(|s| s.inputs.first())
        .ok_or("its input shape is unknown")?;
    let [_, _, Some(channels)] = shape.as_slice() else {
        return Err(format!(
            "expected a [batch, steps, channels] input, got {shape:?}"
        ));
    };
    let channels = *channels;
    let node = site.single_call("its rewrite needs several layers")?;
    let name = site.name;
    let c = site.config;
    let inner = format!("{name}_2d");
    let mut weights = Vec::new();
    let mut pad = None;
    let (class, config, out_channels) = if site.class_name == "Conv1D" {
        let (k, s, d, filters) = conv_geometry(c)?;
        let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
        if c.get("groups").and_then(Value::as_u64).unwrap_or(1) != 1 {
            return Err("a grouped causal convolution is not rewritten".into());
        }
        pad = Some(d * (k - 1));
        weights = as_2d_weights(site, &inner, &[("kernel", true), ("bias", false)], use_bias)?;
        let config = conv2d_config(c, filters, [k, s, d], "valid", use_bias);
        ("Conv2D", config, filters)
    } else if site.class_name == "Conv1DTranspose" {
        let (k, s, d, filters) = conv_geometry(c)?;
        let padding = c.get("padding").and_then(Value::as_str).unwrap_or("valid");
        if c.get("output_padding").is_some_and(|v| !v.is_null()) {
            return Err("output_padding is not rewritten".into());
        }
        if d != 1 || c.get("groups").and_then(Value::as_u64).unwrap_or(1) != 1 {
            return Err("a dilated or grouped transposed convolution is not rewritten".into());
        }
        if c.get("data_format").and_then(Value::as_str) == Some("channels_first") {
            return Err("channels_first is not rewritten".into());
        }
        if !matches!(padding, "valid" | "same") || (padding == "valid" && k < s) {
            return Err(format!(
                "padding {padding:?} with kernel {k} and stride {s} (TensorFlow.js 4.22 sizes \
                 that output otherwise)"
            ));
        }
        let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
        weights = as_2d_weights(site, &inner, &[("kernel", true), ("bias", false)], use_bias)?;
        let mut config = conv2d_config(c, filters, [k, s, 1], padding, use_bias);
        config["output_padding"] = Value::Null;
        ("Conv2DTranspose", config, filters)
    } else if site.class_name == "UpSampling1D" {
        let size = one_int(c.get("size"), 2).ok_or("size is not an integer")?;
        (
            "UpSampling2D",
            json!({"size": [size, 1], "data_format": "channels_last", "interpolation": "nearest"}),
            channels,
        )
    } else {
        if c.get("data_format").and_then(Value::as_str) == Some("channels_first") {
            return Err("channels_first is not rewritten".into());
        }
        let padding = c.get("padding").and_then(Value::as_str).unwrap_or("valid");
        if !matches!(padding, "valid" | "same") {
            return Err(format!("padding {padding:?} has no 2-D equivalent"));
        }
        let m = one_int(c.get("depth_multiplier"), 1).ok_or("depth_multiplier")?;
        if site.class_name == "DepthwiseConv1D" {
            return depthwise(site, channels, padding, m);
        }
        let (k, s, d, filters) = conv_geometry(c)?;
        let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
        let mut config = json!({
            "filters": filters, "kernel_size": [k, 1], "strides": [s, 1],
            "padding": padding, "data_format": "channels_last", "dilation_rate": [d, 1],
            "depth_multiplier": m, "use_bias": use_bias,
            "activation": c.get("activation").cloned().unwrap_or(json!("linear")),
            "depthwise_initializer": {"class_name": "Zeros", "config": {}},
            "pointwise_initializer": {"class_name": "Zeros", "config": {}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "depthwise_regularizer": null, "pointwise_regularizer": null,
            "bias_regularizer": null, "activity_regularizer": null,
            "depthwise_constraint": null, "pointwise_constraint": null, "bias_constraint": null,
        });
        if let Some(obj) = config.as_object_mut() {
            obj.insert(
                "trainable".into(),
                c.get("trainable").cloned().unwrap_or(json!(true)),
            );
        }
        weights = as_2d_weights(
            site,
            &inner,
            &[
                ("depthwise_kernel", true),
                ("pointwise_kernel", true),
                ("bias", false),
            ],
            use_bias,
        )?;
        ("SeparableConv2D", config, filters)
    };
    Ok(on_2d_view(
        site,
        node,
        channels,
        pad,
        class,
        config,
        out_channels,
        weights,
    ))
}

/// `Reshape` to `[steps, 1, channels]`, the optional leading `pad` steps,
/// the 2-D layer `{name}_2d` and `Reshape` back to `[steps', out_channels]`.
#[allow(clippy::too_many_arguments)]
fn on_2d_view(
    site: &Site<'_>,
    node: &Value,
    channels: usize,
    pad: Option<i64>,
    class: &str,
    config: Value,
    out_channels: usize,
    weights: Vec<DecodedWeight>,
) -> Outcome {
    let name = site.name;
    let view = format!("{name}_as_2d");
    let inner = format!("{name}_2d");
    // Known step counts written out: TF.js 4.22 leaves a `-1` unknown in
    // its symbolic shapes (see `reshape_static`), and a later `Flatten`
    // would refuse to build.
    let steps = |shapes: Option<&Vec<crate::Shape>>| -> Value {
        shapes
            .and_then(|s| s.first())
            .and_then(|s| s.get(1).copied().flatten())
            .map_or(json!(-1), |n| json!(n))
    };
    let (steps_in, steps_out) = (
        steps(site.shapes.map(|s| &s.inputs)),
        steps(site.shapes.map(|s| &s.outputs)),
    );
    let mut layers = vec![entry(
        &view,
        "Reshape",
        json!({"target_shape": [steps_in, 1, channels]}),
        vec![node.clone()],
    )];
    let mut into_inner = view.clone();
    if let Some(p) = pad {
        let padded = format!("{name}_causal_pad");
        layers.push(entry_on(
            &padded,
            "ZeroPadding2D",
            json!({"padding": [[p, 0], [0, 0]], "data_format": "channels_last"}),
            &view,
        ));
        into_inner = padded;
    }
    layers.extend([
        entry_on(&inner, class, config, &into_inner),
        entry_on(
            name,
            "Reshape",
            json!({"target_shape": [steps_out, out_channels]}),
            &inner,
        ),
    ]);
    Outcome::Replace { layers, weights }
}

/// `DepthwiseConv1D` as `DepthwiseConv2D` with a `[k, 1]` kernel.
fn depthwise(site: &Site<'_>, channels: usize, padding: &str, m: i64) -> Result<Outcome, String> {
    let c = site.config;
    let k = one_int(c.get("kernel_size"), 1).ok_or("kernel_size is not an integer")?;
    let s = one_int(c.get("strides"), 1).ok_or("strides is not an integer")?;
    if one_int(c.get("dilation_rate"), 1) != Some(1) {
        return Err(
            "a dilation_rate other than 1 (TensorFlow.js 4.22's DepthwiseConv2D \
                    ignores it)"
                .into(),
        );
    }
    let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
    let inner = format!("{}_2d", site.name);
    let weights = as_2d_weights(
        site,
        &inner,
        &[("depthwise_kernel", true), ("bias", false)],
        use_bias,
    )?;
    let config = json!({
        "kernel_size": [k, 1], "strides": [s, 1], "padding": padding,
        "data_format": "channels_last", "dilation_rate": [1, 1],
        "depth_multiplier": m, "use_bias": use_bias,
        "activation": c.get("activation").cloned().unwrap_or(json!("linear")),
        "depthwise_initializer": {"class_name": "Zeros", "config": {}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "depthwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
        "depthwise_constraint": null, "bias_constraint": null,
        "trainable": c.get("trainable").cloned().unwrap_or(json!(true)),
    });
    let node = site.single_call("its rewrite needs several layers")?;
    let out_channels = channels * usize::try_from(m).map_err(|_| "depth_multiplier")?;
    Ok(on_2d_view(
        site,
        node,
        channels,
        None,
        "DepthwiseConv2D",
        config,
        out_channels,
        weights,
    ))
}

/// The `Conv2D` / `Conv2DTranspose` config of a 1-D convolution `c` with
/// `[kernel, stride, dilation]` along the steps (1 across).
pub(super) fn conv2d_config(
    c: &Map<String, Value>,
    filters: usize,
    [k, s, d]: [i64; 3],
    padding: &str,
    use_bias: bool,
) -> Value {
    json!({
        "filters": filters, "kernel_size": [k, 1], "strides": [s, 1],
        "padding": padding, "data_format": "channels_last", "dilation_rate": [d, 1],
        "use_bias": use_bias,
        "activation": c.get("activation").cloned().unwrap_or(json!("linear")),
        "kernel_initializer": {"class_name": "Zeros", "config": {}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
        "kernel_constraint": null, "bias_constraint": null,
        "trainable": c.get("trainable").cloned().unwrap_or(json!(true)),
    })
}

/// A 1-D convolution's `kernel_size`, `strides`, `dilation_rate` and
/// `filters`.
pub(super) fn conv_geometry(c: &Map<String, Value>) -> Result<(i64, i64, i64, usize), String> {
    let k = one_int(c.get("kernel_size"), 1).ok_or("kernel_size is not an integer")?;
    let s = one_int(c.get("strides"), 1).ok_or("strides is not an integer")?;
    let d = one_int(c.get("dilation_rate"), 1).ok_or("dilation_rate is not an integer")?;
    let filters = c
        .get("filters")
        .and_then(Value::as_u64)
        .ok_or("no filters")? as usize;
    Ok((k, s, d, filters))
}

/// The layer's weights renamed under `inner`, each `(short, kernel)` pair a
/// weight (`bias` skipped without `use_bias`); a 1-D kernel `[k, in, out]`
/// becomes the 2-D `[k, 1, in, out]`.
pub(super) fn as_2d_weights(
    site: &Site<'_>,
    inner: &str,
    shorts: &[(&str, bool)],
    use_bias: bool,
) -> Result<Vec<DecodedWeight>, String> {
    let mut out = Vec::new();
    for &(short, kernel) in shorts {
        if short == "bias" && !use_bias {
            continue;
        }
        let (shape, v) = site.f32_weight(short)?;
        let mut shape = shape.to_vec();
        if kernel {
            shape.insert(1, 1);
        }
        out.push(f32_weight(format!("{inner}/{short}"), shape, v.to_vec()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn one_d_layers_become_two_d_ones_on_a_reshaped_view() {
        let layers = vec![
            entry_on(
                "sep",
                "SeparableConv1D",
                json!({"filters": 5, "kernel_size": 3, "padding": "same", "depth_multiplier": 2, "activation": "relu"}),
                "x",
            ),
            entry_on("up", "UpSampling1D", json!({"size": 3}), "sep"),
            entry_on(
                "sep2",
                "SeparableConv1D",
                json!({"filters": 2, "kernel_size": [2], "strides": [2], "use_bias": false}),
                "up",
            ),
            entry_on(
                "causal",
                "Conv1D",
                json!({"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}),
                "sep2",
            ),
            entry_on(
                "dw",
                "DepthwiseConv1D",
                json!({"kernel_size": 2, "strides": 2, "padding": "same", "depth_multiplier": 2, "activation": "relu"}),
                "causal",
            ),
            entry_on(
                "deconv",
                "Conv1DTranspose",
                json!({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "valid"}),
                "dw",
            ),
            entry_on(
                "deconv_same",
                "Conv1DTranspose",
                json!({"filters": 2, "kernel_size": 2, "strides": 3, "padding": "same", "use_bias": false}),
                "deconv",
            ),
        ];
        let model = functional(&[6, 4], layers, 21);
        let out = assert_same(&model, &input(&[2, 6, 4]), 1e-5);
        assert_eq!(out.notes.len(), 7, "{:?}", out.notes);
    }
}
