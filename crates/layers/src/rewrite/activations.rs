//! Activations TensorFlow.js 4.22 lacks, in an `Activation` layer or in a
//! layer's `activation` field.
//!
//! `hard_silu` / `hard_swish` (`x * relu6(x + 3) / 6`, MobileNetV3 in
//! Keras 3) → `Rescaling(1, 3)` → `ReLU(max_value=6)` →
//! `Rescaling(1/6)` → `Multiply` with `x`. A layer with such an
//! `activation` is kept as `<name>_linear` with a linear activation (its
//! weights renamed), followed by that chain named `<name>`. Other
//! activations TF.js lacks (`exponential`) are refused.

use super::{entry, Outcome, Site};
use serde_json::{json, Value};

/// Activation names TensorFlow.js 4.22 resolves (it camel-cases
/// snake_case names: `log_softmax` → `logSoftmax`).
const TFJS_ACTIVATIONS: &[&str] = &[
    "elu",
    "gelu",
    "gelu_new",
    "hard_sigmoid",
    "linear",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
];

/// Layers whose `activation` is applied last, to the whole output (so it
/// can move to a layer of its own).
const FINAL_ACTIVATION: &[&str] = &[
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Dense",
    "DepthwiseConv2D",
    "SeparableConv2D",
];

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if let Some(act) = site
        .config
        .get("recurrent_activation")
        .and_then(Value::as_str)
        .filter(|a| !TFJS_ACTIVATIONS.contains(a))
    {
        return Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {act} activation (recurrent_activation)"
        ));
    }
    let Some(act) = site.config.get("activation").and_then(Value::as_str) else {
        return Outcome::Skip;
    };
    if TFJS_ACTIVATIONS.contains(&act) {
        return Outcome::Skip;
    }
    if site.class_name != "Activation" && !FINAL_ACTIVATION.contains(&site.class_name) {
        return Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {act} activation, and a {} applies it inside",
            site.class_name
        ));
    }
    if !matches!(act, "hard_silu" | "hard_swish") {
        return Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no {act} activation and no exact rewrite exists"
        ));
    }
    let node = match site.single_call(&format!(
        "the {act} activation needs several layers, which a Sequential model cannot wire"
    )) {
        Ok(node) => node,
        Err(why) => return Outcome::Cannot(why),
    };
    let name = site.name;
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    let x: Value = if site.class_name == "Activation" {
        match node.as_array().map(Vec::as_slice) {
            Some([r]) => match r.as_array() {
                Some(a) if a.len() >= 3 => json!([a[0], a[1], a[2], {}]),
                _ => return Outcome::Cannot("malformed inbound node".into()),
            },
            _ => return Outcome::Cannot("expected one input".into()),
        }
    } else {
        let linear = format!("{name}_linear");
        let mut config = site.config.clone();
        config.insert("activation".into(), json!("linear"));
        layers.push(entry(
            &linear,
            site.class_name,
            Value::Object(config),
            vec![node.clone()],
        ));
        let prefix = format!("{name}/");
        for w in &site.weights {
            let mut w = (*w).clone();
            if let Some(rest) = w.name.strip_prefix(&prefix) {
                w.name = format!("{linear}/{rest}");
            }
            weights.push(w);
        }
        json!([linear, 0, 0, {}])
    };
    let step = |suffix: &str| format!("{name}_{suffix}");
    let r = |n: String| json!([n, 0, 0, {}]);
    layers.push(entry(
        &step("plus3"),
        "Rescaling",
        json!({"scale": 1.0, "offset": 3.0}),
        vec![json!([x.clone()])],
    ));
    layers.push(entry(
        &step("relu6"),
        "ReLU",
        json!({"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}),
        vec![json!([r(step("plus3"))])],
    ));
    layers.push(entry(
        &step("div6"),
        "Rescaling",
        json!({"scale": 1.0 / 6.0, "offset": 0.0}),
        vec![json!([r(step("relu6"))])],
    ));
    layers.push(entry(
        name,
        "Multiply",
        json!({}),
        vec![json!([x, r(step("div6"))])],
    ));
    Outcome::Replace { layers, weights }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{entry, rewrite_for_tfjs};
    use serde_json::json;

    #[test]
    fn hard_silu_becomes_rescaling_relu6_multiply() {
        let layers = vec![
            entry(
                "conv",
                "Conv2D",
                json!({"filters": 4, "kernel_size": 1, "activation": "hard_silu"}),
                vec![json!([["x", 0, 0, {}]])],
            ),
            entry(
                "act",
                "Activation",
                json!({"activation": "hard_swish"}),
                vec![json!([["conv", 0, 0, {}]])],
            ),
        ];
        let model = functional(&[3, 3, 2], layers, 5);
        let out = assert_same(&model, &input(&[2, 3, 3, 2]), 1e-6);
        assert_note(&out, "conv (Conv2D) -> Conv2D + Rescaling");
    }

    #[test]
    fn an_activation_without_a_rewrite_is_refused() {
        let layers = vec![entry(
            "e",
            "Dense",
            json!({"units": 2, "activation": "exponential"}),
            vec![json!([["x", 0, 0, {}]])],
        )];
        let model = functional(&[3], layers, 5);
        let err = rewrite_for_tfjs(&model).unwrap_err().to_string();
        assert!(
            err.contains("`e` (Dense): TensorFlow.js 4.22 has no exponential activation"),
            "{err}"
        );
    }
}
