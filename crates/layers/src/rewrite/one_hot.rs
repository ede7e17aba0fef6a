//! One-hot encoding of class ids, which TensorFlow.js 4.22 has no layer
//! for: tf_keras's `tf.one_hot(ids, depth, on_value, off_value, axis)`
//! and Keras 3's `ops.one_hot(ids, num_classes, axis)` (a float result)
//! → the ids as float32 (`Rescaling(1, 0)`, a `[…, 1]` `Reshape`), two
//! `Dense(depth, relu)` of them with kernel ±1 and biases `1 - k` / `1 +
//! k` (`ReLU(id - k + 1)` and `ReLU(k - id + 1)`), their `Minimum`: for an
//! integer id that is 1 where `id == k` and 0 elsewhere, exactly (the
//! integer arithmetic is exact in float32 for ids below 2²⁴), so an id
//! outside `[0, depth)` (`-1` for "no class") gives TF's row of zeros; then
//! `Rescaling(on - off, off)` for other on / off values (exact when
//! `off_value` is 0, else within one float32 rounding of `on_value`) and a
//! `Permute` moving the new axis to `axis`. (An `Embedding` of the identity
//! table would be one layer, but TF.js's gather fails on ids outside the
//! table, where TF writes zeros.) Integer and sparse results stay refused
//! by name.

use super::{entry, f32_weight, zero_dense, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

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
    if !matches!(axis, Some(a) if (a >= 1 && a < rank) || (a < 0 && a >= 1 - rank)) {
        return Err(format!(
            "axis {axis:?} of a rank-{rank} result is not a feature axis"
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
    let dims = site.static_input()?;
    let name = site.name;
    let s = |part: &str| format!("{name}_{part}");
    let on_node = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let ids: Vec<f64> = (0..depth).map(|k| k as f64).collect();
    let (mut layers, weights) = value_hits(name, node, &dims, &ids, &s("hit"));
    let hit = layers.pop().expect("value_hits ends with its Minimum");
    let mut steps: Vec<(String, &str, Value, Vec<Value>)> = vec![(
        s("hit"),
        "Minimum",
        hit["config"].clone(),
        hit["inbound_nodes"].as_array().cloned().unwrap_or_default(),
    )];
    if (on, off) != (1.0, 0.0) {
        let from = steps.last().map(|l| l.0.clone()).unwrap_or_default();
        steps.push((
            s("valued"),
            "Rescaling",
            json!({"scale": on as f64 - off as f64, "offset": off}),
            on_node(&from),
        ));
    }
    let at = axis.unwrap_or(-1);
    let at = if at < 0 { at + rank } else { at } as usize;
    if at != rank as usize - 1 {
        // Output axis `at` takes the depth (the last axis before).
        let r = rank as usize;
        let mut perm: Vec<usize> = (1..at).collect();
        perm.push(r - 1);
        perm.extend(at..r - 1);
        let from = steps.last().map(|l| l.0.clone()).unwrap_or_default();
        steps.push((
            s("moved"),
            "Permute",
            json!({ "dims": perm }),
            on_node(&from),
        ));
    }
    let last = steps.len() - 1;
    steps[last].0 = name.to_string();
    for (n, class, config, inbound) in steps {
        layers.push(entry(&n, class, config, inbound));
    }
    site.note("one-hot ids as Minimum(ReLU(id - k + 1), ReLU(k - id + 1)) (exact for integer ids)");
    Ok(Outcome::Replace { layers, weights })
}

/// Where each value of the integer tensor `node` (an inbound node; `dims`
/// its static non-batch shape) equals each of `values`: the tensor as
/// float32 (`<name>_ids`, `Rescaling(1, 0)`), a `[…, 1]` view
/// (`<name>_column`), `Dense(n, relu)`s with kernel ±1 and biases `1 - v` /
/// `1 + v` (`<name>_up`: `ReLU(x - v + 1)`, `<name>_down`:
/// `ReLU(v - x + 1)`) and their `Minimum` named `hits` (last): 1 where
/// `x == v`, else 0, exactly for integers and values below 2²⁴ (shared by
/// one-hot ids, `IntegerLookup` and weighted `CategoryEncoding`).
pub(super) fn value_hits(
    name: &str,
    node: Value,
    dims: &[usize],
    values: &[f64],
    hits: &str,
) -> (Vec<Value>, Vec<DecodedWeight>) {
    let n = values.len();
    let s = |part: &str| format!("{name}_{part}");
    let on = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let relu_dense = || {
        let mut c = zero_dense(n, true);
        c["activation"] = json!("relu");
        c
    };
    let mut column = dims.to_vec();
    column.push(1);
    let layers = vec![
        entry(
            &s("ids"),
            "Rescaling",
            json!({"scale": 1.0, "offset": 0.0}),
            vec![node],
        ),
        entry(
            &s("column"),
            "Reshape",
            json!({ "target_shape": column }),
            on(&s("ids")),
        ),
        entry(&s("up"), "Dense", relu_dense(), on(&s("column"))),
        entry(&s("down"), "Dense", relu_dense(), on(&s("column"))),
        entry(
            hits,
            "Minimum",
            json!({}),
            vec![json!([[s("up"), 0, 0, {}], [s("down"), 0, 0, {}]])],
        ),
    ];
    let bias = |sign: f64| values.iter().map(|v| (1.0 + sign * v) as f32).collect();
    let weights = vec![
        f32_weight(format!("{}/kernel", s("up")), vec![1, n], vec![1.0; n]),
        f32_weight(format!("{}/bias", s("up")), vec![n], bias(-1.0)),
        f32_weight(format!("{}/kernel", s("down")), vec![1, n], vec![-1.0; n]),
        f32_weight(format!("{}/bias", s("down")), vec![n], bias(1.0)),
    ];
    (layers, weights)
}

#[cfg(test)]
mod tests {
    use super::super::probes::{op, tf};
    use super::super::test_util::*;

    /// `tf.one_hot` (with on / off values, along an inner axis) and
    /// `ops.one_hot` of class ids, out-of-range ids (-1, depth) included:
    /// TF's rows of zeros (`tf.one_hot([-1, 4], 4)` is all 0).
    #[test]
    fn one_hot_of_ids_becomes_relu_dense_minimum() {
        let ids = crate::Tensor::from_f32(vec![2, 3], vec![0., 2., -1., 3., 4., 1.]).unwrap();
        for layers in [
            vec![tf(
                "oh",
                "one_hot",
                "x",
                json!({"depth": 4, "on_value": 2.0, "off_value": -1.0, "axis": -1}),
            )],
            vec![tf("oh", "one_hot", "x", json!({"depth": 4, "axis": 1}))],
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
            assert_note(&out, "Minimum");
        }
    }

    #[test]
    fn an_integer_one_hot_is_refused() {
        let layers = vec![tf(
            "oh",
            "one_hot",
            "x",
            json!({"depth": 4, "dtype": "int32"}),
        )];
        assert_refused(
            &functional(&[3], layers, 1),
            &["`oh` (TFOpLambda)", "int32"],
        );
    }
}
