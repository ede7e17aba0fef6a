//! `ConvLSTM1D` (TensorFlow.js 4.22 has only `ConvLSTM2D`) → the
//! `ConvLSTM2D` it equals on a `[time, length, 1, channels]` view:
//! `Reshape` in, `ConvLSTM2D` with `[k, 1]` kernels, strides and dilation
//! (the same weights, `[k, cin, 4f]` → `[k, 1, cin, 4f]`), `Reshape` out.
//! Exact: a width of 1 with a kernel width of 1 adds no term. Refused with
//! `return_state` (several outputs), channels_first, or where a mask may
//! reach the layer (a `Reshape` would drop it).

use super::{entry, entry_on, f32_weight, Outcome, Site};
use serde_json::{json, Value};

/// The rule: applies to `ConvLSTM1D`.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "ConvLSTM1D" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(Outcome::Cannot)
}

fn one_int(site: &Site<'_>, key: &str) -> Result<i64, String> {
    match site.config.get(key) {
        None | Some(Value::Null) if key != "kernel_size" => Some(1),
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
        Some(v) => v.as_i64(),
        None => None,
    }
    .ok_or_else(|| format!("{key} is not one integer"))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let c = site.config;
    let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("return_state") {
        return Err("return_state gives several outputs; the rewrite handles one".into());
    }
    if c.get("data_format").and_then(Value::as_str) == Some("channels_first") {
        return Err("channels_first is not rewritten".into());
    }
    if site.masks_possible {
        return Err("a mask may reach it, which the Reshape views would drop".into());
    }
    let shapes = site
        .shapes
        .ok_or("its input and output shapes are unknown")?;
    let (Some([_, _, Some(len), Some(channels)]), Some(out)) = (
        shapes.inputs.first().map(Vec::as_slice),
        shapes.outputs.first(),
    ) else {
        return Err(format!(
            "expected a [batch, time, length, channels] input of known length and channels, got {:?}",
            shapes.inputs.first()
        ));
    };
    let out_target: Vec<i64> = match out.as_slice() {
        [_, _, Some(l), Some(f)] if flag("return_sequences") => vec![-1, *l as i64, *f as i64],
        [_, Some(l), Some(f)] => vec![*l as i64, *f as i64],
        other => return Err(format!("its output shape {other:?} is not fully known")),
    };
    let node = site.single_call("its rewrite needs several layers")?;
    let (k, s, d) = (
        one_int(site, "kernel_size")?,
        one_int(site, "strides")?,
        one_int(site, "dilation_rate")?,
    );
    let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
    let copy = |key: &str, default: Value| c.get(key).cloned().unwrap_or(default);
    let zeros = json!({"class_name": "Zeros", "config": {}});
    let config = json!({
        "filters": copy("filters", Value::Null),
        "kernel_size": [k, 1], "strides": [s, 1], "dilation_rate": [d, 1],
        "padding": copy("padding", json!("valid")), "data_format": "channels_last",
        "activation": copy("activation", json!("tanh")),
        "recurrent_activation": copy("recurrent_activation", json!("hard_sigmoid")),
        "use_bias": use_bias, "unit_forget_bias": copy("unit_forget_bias", json!(true)),
        "kernel_initializer": zeros, "recurrent_initializer": zeros, "bias_initializer": zeros,
        "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
        "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null,
        "bias_constraint": null, "dropout": 0, "recurrent_dropout": 0,
        "return_sequences": flag("return_sequences"), "return_state": false,
        "go_backwards": flag("go_backwards"), "stateful": false, "unroll": false,
        "trainable": copy("trainable", json!(true)),
    });
    let name = site.name;
    let (view, inner) = (format!("{name}_as_2d"), format!("{name}_2d"));
    let mut weights = Vec::new();
    for short in ["kernel", "recurrent_kernel", "bias"] {
        if short == "bias" && !use_bias {
            continue;
        }
        let (shape, v) = site.f32_weight(short)?;
        let mut shape = shape.to_vec();
        if short != "bias" {
            shape.insert(1, 1);
        }
        weights.push(f32_weight(format!("{inner}/{short}"), shape, v.to_vec()));
    }
    let layers = vec![
        entry(
            &view,
            "Reshape",
            json!({"target_shape": [-1, len, 1, channels]}),
            vec![node.clone()],
        ),
        entry_on(&inner, "ConvLSTM2D", config, &view),
        entry_on(
            name,
            "Reshape",
            json!({ "target_shape": out_target }),
            &inner,
        ),
    ];
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn conv_lstm1d_becomes_conv_lstm2d_on_a_width_one_view() {
        let layers = vec![
            entry_on(
                "a",
                "ConvLSTM1D",
                json!({"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": true,
                       "recurrent_activation": "sigmoid"}),
                "x",
            ),
            entry_on(
                "b",
                "ConvLSTM1D",
                json!({"filters": 2, "kernel_size": [2], "strides": [2], "dilation_rate": [1],
                       "use_bias": false}),
                "a",
            ),
        ];
        let model = functional(&[4, 7, 2], layers, 31);
        let out = assert_same(&model, &input(&[2, 4, 7, 2]), 1e-5);
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
    }
}
