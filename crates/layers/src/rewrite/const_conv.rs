//! A convolution by a constant kernel written as a function (Keras 2's
//! `tf.nn.conv2d` / `depthwise_conv2d` / `conv1d` (a `Conv1D`), Keras 3's `ops.nn.conv` /
//! `depthwise_conv`; `crate::layers::keras3_ops::ConstConv`) → a bias-free
//! `Conv2D` / `DepthwiseConv2D` holding the kernel as its weight. A
//! dilated depthwise convolution (TF.js 4.22's `DepthwiseConv2D` ignores
//! the dilation) and dilations with strides (TF.js refuses the pair) are
//! refused. Keras 3's `ops.image.gaussian_blur` is such a depthwise
//! convolution too, by the kernel `keras3_ops/gaussian_blur.rs` computes
//! for its input's channels.

use super::{entry, f32_weight, Outcome, Site};
use crate::config::ConfigReader;
use crate::layers::keras3_ops::{ConstConv, GaussianBlur};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let (what, conv) = match site.class_name {
        "TFOpLambda" => {
            let function = site.field("function", Value::as_str).unwrap_or("?");
            let kwargs = site
                .first_input("outside a functional model")
                .ok()
                .and_then(|(first, _)| first.get(3).and_then(Value::as_object).cloned())
                .unwrap_or_default();
            match ConstConv::from_tf(function, &kwargs) {
                Some(conv) => (format!("tf.{function}"), conv),
                None => return Outcome::Skip,
            }
        }
        class @ ("ops.Conv" | "ops.DepthwiseConv") => {
            let args = site
                .first_input("outside a functional model")
                .ok()
                .and_then(|(first, _)| first.get(3)?.get("_args")?.as_array().cloned())
                .unwrap_or_default();
            let c = ConfigReader::new(site.name, site.config);
            match ConstConv::from_keras3(&class[4..], &c, &args) {
                Some(conv) => (format!("keras.ops {}", &class[4..]), conv),
                None => return Outcome::Skip,
            }
        }
        "ops.GaussianBlur" => {
            let c = ConfigReader::new(site.name, site.config);
            let channels = site
                .static_input()
                .ok()
                .and_then(|s| s.last().copied())
                .ok_or_else(|| "its input's channels are unknown".to_string());
            let conv = GaussianBlur::from_keras3("GaussianBlur", &c)
                .unwrap_or_else(|| Err("not a GaussianBlur".into()))
                .and_then(|blur| {
                    if blur.channels_first() {
                        return Err("data_format channels_first (the rewrite writes an NHWC \
                                    DepthwiseConv2D)"
                            .into());
                    }
                    blur.conv(channels?)
                });
            ("keras.ops GaussianBlur".to_string(), conv)
        }
        _ => return Outcome::Skip,
    };
    conv.and_then(|conv| rewrite(site, &conv))
        .unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>, conv: &ConstConv) -> Result<Outcome, String> {
    let (_, node) = site.first_input("outside a functional model")?;
    if conv.kernel_input {
        return Err(
            "a kernel computed by the model (a tensor): TF.js 4.22 has no \
                    convolution by a tensor"
                .into(),
        );
    }
    let dilated = conv.dilations != [1, 1];
    if dilated && conv.depthwise {
        return Err("a dilated depthwise convolution (TF.js 4.22 ignores the dilation)".into());
    }
    if dilated && conv.strides != [1, 1] {
        return Err("dilations with strides (TF.js 4.22 refuses the pair)".into());
    }
    let mut shape = conv.kernel.shape().to_vec();
    let [kh, kw, _, out] = shape[..] else {
        return Err("the kernel is not rank 4".into());
    };
    if conv.one_d {
        // `tf.nn.conv1d`: a `Conv1D` with the `[width, in, out]` kernel.
        shape.remove(0);
        let name = site.name;
        let config = json!({
            "filters": out, "kernel_size": [kw], "strides": [conv.strides[1]],
            "padding": if conv.same { "same" } else { "valid" },
            "data_format": "channels_last", "dilation_rate": [conv.dilations[1]],
            "activation": "linear", "use_bias": false,
        });
        return Ok(Outcome::Replace {
            layers: vec![entry(name, "Conv1D", config, vec![node])],
            weights: vec![f32_weight(
                format!("{name}/kernel"),
                shape,
                conv.kernel.to_f32().into_owned(),
            )],
        });
    }
    let mut config = json!({
        "kernel_size": [kh, kw], "strides": conv.strides,
        "padding": if conv.same { "same" } else { "valid" },
        "data_format": "channels_last", "dilation_rate": conv.dilations,
        "activation": "linear", "use_bias": false,
    });
    let (class, weight) = if conv.depthwise {
        config["depth_multiplier"] = json!(out);
        ("DepthwiseConv2D", "depthwise_kernel")
    } else {
        config["filters"] = json!(out);
        ("Conv2D", "kernel")
    };
    let name = site.name;
    Ok(Outcome::Replace {
        layers: vec![entry(name, class, config, vec![node])],
        weights: vec![f32_weight(
            format!("{name}/{weight}"),
            shape,
            conv.kernel.to_f32().into_owned(),
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;
    use serde_json::json;

    fn laplacian() -> serde_json::Value {
        json!([
            [[[0.0]], [[1.0]], [[0.0]]],
            [[[1.0]], [[-4.0]], [[1.0]]],
            [[[0.0]], [[1.0]], [[0.0]]]
        ])
    }

    #[test]
    fn constant_kernel_convolutions_become_conv_layers() {
        let layers = vec![
            tf(
                "a",
                "compat.v1.nn.conv2d",
                "x",
                json!({"filter": laplacian(), "strides": 1, "padding": "SAME"}),
            ),
            tf(
                "b",
                "compat.v1.nn.conv2d",
                "a",
                json!({"filter": laplacian(), "strides": [1, 2, 2, 1], "padding": "VALID"}),
            ),
            op(
                "c",
                "DepthwiseConv",
                json!({"strides": 1, "padding": "same", "data_format": "channels_last",
                      "dilation_rate": 1}),
                json!([["b", 0, 0], {"class_name": "__numpy__",
                                    "config": {"value": [[[[0.5, -1.0]]]], "dtype": "float32"}}]),
            ),
        ];
        for note in [
            "a (TFOpLambda) -> Conv2D",
            "c (ops.DepthwiseConv) -> DepthwiseConv2D",
        ] {
            assert_rewrites(&[2, 7, 6, 1], layers.clone(), 3, 1e-5, note);
        }
    }

    #[test]
    fn constant_kernel_conv1d_becomes_conv1d() {
        let kernel = json!([
            [[0.25, 0.0], [0.0, 0.5]],
            [[0.5, 0.1], [0.2, 0.5]],
            [[0.25, -0.1], [0.0, 0.25]]
        ]);
        let layers = vec![
            tf(
                "a",
                "compat.v1.nn.conv1d",
                "x",
                json!({"filters": kernel, "stride": 1, "padding": "SAME", "data_format": "NWC"}),
            ),
            tf(
                "b",
                "nn.conv1d",
                "a",
                json!({"filters": kernel, "stride": [1, 2, 1], "padding": "VALID"}),
            ),
        ];
        assert_rewrites(&[2, 9, 2], layers, 3, 1e-5, "a (TFOpLambda) -> Conv1D");
    }

    #[test]
    fn dilated_depthwise_convolutions_are_refused() {
        let layers = vec![tf(
            "d",
            "nn.depthwise_conv2d",
            "x",
            json!({"filter": laplacian(), "strides": [1, 1, 1, 1], "padding": "SAME",
                   "dilations": [2, 2]}),
        )];
        assert_refused(
            &functional(&[6, 6, 1], layers, 3),
            &["`d` (TFOpLambda): tf.nn.depthwise_conv2d: a dilated depthwise"],
        );
    }
}
