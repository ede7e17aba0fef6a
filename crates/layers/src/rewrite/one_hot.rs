//! One-hot encoding of class ids along the last axis, which TensorFlow.js
//! 4.22 has no layer for: tf_keras's `tf.one_hot(ids, depth, on_value,
//! off_value, axis=-1)` and Keras 3's `ops.one_hot(ids, num_classes)` (a
//! float result) → an `Embedding` of `depth` rows holding the identity
//! table (`off_value` everywhere, `on_value` on the diagonal): the row of
//! id `i` is exactly TF's one-hot vector of `i` for every id in
//! `[0, depth)`. (TF writes a row of `off_value` for an id outside that
//! range, where TF.js's `Embedding` gather fails with an error naming the
//! id: never a different number.) Other axes, integer results and sparse
//! results stay refused by name.

use super::{entry, f32_weight, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let Some(what) = site.function_named(&["one_hot", "compat.v1.one_hot"], &["ops.OneHot"]) else {
        return Outcome::Skip;
    };
    rewrite(site).unwrap_or_else(|why| Outcome::Cannot(format!("{what}: {why}")))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let (first, node) = site.first_input("outside a functional model")?;
    let empty = serde_json::Map::new();
    let kwargs = first.get(3).and_then(Value::as_object).unwrap_or(&empty);
    let keras3 = site.class_name == "ops.OneHot";
    let c = site.config;
    let get = |k: &str| -> Option<&Value> {
        if keras3 { c.get(k) } else { kwargs.get(k) }.filter(|v| !v.is_null())
    };
    let depth = get(if keras3 { "num_classes" } else { "depth" })
        .and_then(Value::as_u64)
        .filter(|&d| d > 0)
        .ok_or("its depth is not a constant positive integer")? as usize;
    let rank = site
        .shapes
        .and_then(|s| s.outputs.first())
        .map(Vec::len)
        .ok_or("its output shape is unknown")? as i64;
    let axis = get("axis").map_or(Some(-1), Value::as_i64);
    if !matches!(axis, Some(a) if a == -1 || a == rank - 1) {
        return Err(format!(
            "axis {axis:?}: only the last axis is rewritten (an Embedding adds it)"
        ));
    }
    if let Some(dtype) = get("dtype").and_then(Value::as_str) {
        if !matches!(dtype, "float32" | "float16" | "bfloat16" | "float64") {
            return Err(format!("a {dtype} result is not rewritten (float32 only)"));
        }
    }
    if get("sparse").and_then(Value::as_bool) == Some(true) {
        return Err("a sparse result is not rewritten".into());
    }
    let value = |k: &str, default: f64| -> Result<f32, String> {
        match get(k) {
            None => Ok(default as f32),
            Some(v) => v
                .as_f64()
                .map(|f| f as f32)
                .ok_or_else(|| format!("its {k} is not a constant number")),
        }
    };
    let (on, off) = (value("on_value", 1.0)?, value("off_value", 0.0)?);
    let mut table = vec![off; depth * depth];
    for i in 0..depth {
        table[i * depth + i] = on;
    }
    let name = site.name;
    let config = json!({"input_dim": depth, "output_dim": depth,
                        "embeddings_initializer": {"class_name": "Zeros", "config": {}},
                        "embeddings_regularizer": null, "activity_regularizer": null,
                        "embeddings_constraint": null, "mask_zero": false,
                        "input_length": null});
    site.note("one-hot ids as an Embedding of the identity table (exact for ids in range)");
    Ok(Outcome::Replace {
        layers: vec![entry(name, "Embedding", config, vec![node])],
        weights: vec![f32_weight(
            format!("{name}/embeddings"),
            vec![depth, depth],
            table,
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    /// `tf.one_hot` (with on / off values) and `ops.one_hot` of class ids
    /// become an `Embedding` of the identity table.
    #[test]
    fn one_hot_of_ids_becomes_an_identity_embedding() {
        let ids = crate::Tensor::from_f32(vec![2, 3], vec![0., 2., 1., 3., 3., 0.]).unwrap();
        for layers in [
            vec![tf(
                "oh",
                "one_hot",
                "x",
                json!({"depth": 4, "on_value": 2.0, "off_value": -1.0, "axis": -1}),
            )],
            vec![op(
                "oh",
                "OneHot",
                json!({"num_classes": 4, "axis": -1, "dtype": null, "sparse": false}),
                json!([["x", 0, 0]]),
            )],
        ] {
            let model = functional(&[3], layers, 3);
            let out = assert_same(&model, &ids, 0.0);
            assert_note(&out, "oh");
            assert_note(&out, "Embedding");
        }
    }

    #[test]
    fn one_hot_along_another_axis_is_refused() {
        let layers = vec![tf("oh", "one_hot", "x", json!({"depth": 4, "axis": 1}))];
        assert_refused(
            &functional(&[3], layers, 1),
            &["`oh` (TFOpLambda)", "only the last axis"],
        );
    }
}
