//! `tf.nn.bias_add(x, b)` (Keras 2's `TFOpLambda`; what
//! `keras.applications.{resnet,vgg16,densenet,…}.preprocess_input` write
//! for their `caffe` and `torch` modes) with a constant vector `b` → the
//! [`super::constant_operand`] rewrite of `x + b`, `b` along the last
//! axis (`data_format` `NHWC` / `N…C`, or none: the only layouts the
//! engine loads). A bias that is a tensor is refused by name.

use super::{constant_operand, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "TFOpLambda"
        || site.field("function", Value::as_str) != Some("nn.bias_add")
    {
        return Outcome::Skip;
    }
    let mut weights = Vec::new();
    match rewrite(site, &mut weights) {
        Ok(layers) => Outcome::Replace { layers, weights },
        Err(why) => Outcome::Cannot(format!("tf.nn.bias_add: {why}")),
    }
}

fn rewrite(
    site: &Site<'_>,
    weights: &mut Vec<tfjs_format::codec::DecodedWeight>,
) -> Result<Vec<Value>, String> {
    let (first, _) = site.first_input("outside a functional model")?;
    let x = json!([first[0], first[1], first[2], {}]);
    let kwargs = first.get(3).and_then(Value::as_object);
    let values = kwargs
        .and_then(|k| k.get("bias"))
        .and_then(constant_operand::constant)
        .filter(|(shape, _)| shape.len() == 1)
        .map(|(_, values)| values)
        .ok_or("the bias is not a constant vector (a tensor bias has no TF.js layer)")?;
    // The engine loads channels-last calls only (`tf_ops`), so the bias
    // lies along the last axis.
    if let Some(f) = kwargs
        .and_then(|k| k.get("data_format"))
        .and_then(Value::as_str)
    {
        if !(f.starts_with('N') && f.ends_with('C')) {
            return Err(format!("data_format {f:?} is not channels last"));
        }
    }
    constant_operand::affine(site, "add", x, &json!(values), false, weights)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn bias_add(kwargs: serde_json::Value) -> serde_json::Value {
        entry(
            "op",
            "TFOpLambda",
            json!({"function": "nn.bias_add"}),
            vec![json!([["x", 0, 0, kwargs]])],
        )
    }

    #[test]
    fn caffe_mean_subtraction_is_a_batch_normalization_beta() {
        // tf_keras resnet.preprocess_input's caffe mode:
        // tf.nn.bias_add(x, [-103.939, -116.779, -123.68], data_format="NHWC").
        let mean = json!([-103.939, -116.779, -123.68]);
        for kwargs in [
            json!({"bias": mean, "data_format": "NHWC"}),
            json!({"bias": mean}),
        ] {
            let model = functional(&[2, 2, 3], vec![bias_add(kwargs)], 1);
            let out = assert_same(&model, &input(&[2, 2, 2, 3]), 0.0);
            assert_note(&out, "op (TFOpLambda) -> BatchNormalization");
        }
    }

    #[test]
    fn a_bias_that_is_not_a_constant_vector_is_refused() {
        let model = functional(
            &[2, 3],
            vec![bias_add(json!({"bias": [[1.0, 2.0, 3.0]]}))],
            1,
        );
        assert_refused(
            &model,
            &[
                "`op` (TFOpLambda)",
                "tf.nn.bias_add",
                "not a constant vector",
            ],
        );
    }
}
