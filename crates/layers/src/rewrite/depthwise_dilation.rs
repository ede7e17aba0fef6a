//! `DepthwiseConv2D` with a `dilation_rate` other than 1: TensorFlow.js
//! 4.22's layer passes no dilation to its kernel ("TODO: Add support for
//! dilation") and computes an undilated convolution. Rewritten as a
//! `SeparableConv2D` (whose TF.js layer does dilate) with the same
//! depthwise kernel and bias and an identity pointwise kernel: each
//! output is its depthwise value times 1 plus zeros, exactly.

use super::{f32_weight, Outcome, Site};
use serde_json::{Map, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "DepthwiseConv2D" || !dilated(site.config) {
        return Outcome::Skip;
    }
    if let Some(why) = super::activations::kept_activation_problem(site) {
        return Outcome::Cannot(format!("dilation_rate other than 1: {why}"));
    }
    rewrite(site).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "dilation_rate other than 1 (TensorFlow.js 4.22's DepthwiseConv2D ignores it) and \
             no rewrite: {why}"
        ))
    })
}

fn dilated(c: &Map<String, Value>) -> bool {
    match c.get("dilation_rate") {
        Some(Value::Array(a)) => a.iter().any(|d| d.as_i64() != Some(1)),
        Some(Value::Number(n)) => n.as_i64() != Some(1),
        _ => false,
    }
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (shape, kernel) = site.f32_weight("depthwise_kernel")?;
    let [_, _, channels, multiplier] = *shape else {
        return Err(format!("expected a 4-D depthwise kernel, got {shape:?}"));
    };
    let n = channels * multiplier;
    let mut identity = vec![0.0f32; n * n];
    for i in 0..n {
        identity[i * n + i] = 1.0;
    }
    let name = site.name;
    let mut weights = vec![
        f32_weight(
            format!("{name}/depthwise_kernel"),
            shape.to_vec(),
            kernel.to_vec(),
        ),
        f32_weight(
            format!("{name}/pointwise_kernel"),
            vec![1, 1, n, n],
            identity,
        ),
    ];
    let use_bias = site.field("use_bias", Value::as_bool).unwrap_or(true);
    if use_bias {
        let (bshape, bias) = site.f32_weight("bias")?;
        weights.push(f32_weight(
            format!("{name}/bias"),
            bshape.to_vec(),
            bias.to_vec(),
        ));
    }
    let mut config = site.config.clone();
    config.insert("filters".into(), Value::from(n));
    for (from, to) in [
        ("depthwise_initializer", "pointwise_initializer"),
        ("depthwise_regularizer", "pointwise_regularizer"),
        ("depthwise_constraint", "pointwise_constraint"),
    ] {
        let v = config.get(from).cloned().unwrap_or(Value::Null);
        config.insert(to.into(), v);
    }
    Ok(site.as_one("SeparableConv2D", Value::Object(config), weights))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn dilated_depthwise_becomes_separable_with_identity_pointwise() {
        let layers = vec![entry_on(
            "dw",
            "DepthwiseConv2D",
            json!({"kernel_size": [3, 3], "padding": "same", "dilation_rate": [2, 2],
                   "depth_multiplier": 2, "activation": "relu"}),
            "x",
        )];
        let model = functional(&[7, 6, 3], layers, 5);
        let out = assert_same(&model, &input(&[2, 7, 6, 3]), 1e-6);
        assert_note(&out, "dw (DepthwiseConv2D) -> SeparableConv2D");
        // Undilated depthwise convolutions stay as they are.
        let layers = vec![entry_on(
            "dw",
            "DepthwiseConv2D",
            json!({"kernel_size": [3, 3], "dilation_rate": [1, 1]}),
            "x",
        )];
        let model = functional(&[5, 5, 2], layers, 5);
        assert!(assert_same(&model, &input(&[1, 5, 5, 2]), 0.0)
            .notes
            .is_empty());
    }
}
