//! `CategoryEncoding`: TensorFlow.js 4.22's `computeOutputShape` writes
//! `num_tokens` into the shape array it is given, which is its input
//! tensor's own shape, so a model input feeding it afterwards expects
//! `[batch, num_tokens]` and rejects the real inputs ("expected category
//! to have shape [null,12] but got array with shape [2,1]"). A `Reshape`
//! to the input's own shape is put in front: it gives `CategoryEncoding` a
//! shape array of its own (and changes no value). A call given
//! `count_weights=` (a tensor TF.js 4.22's executor would not pass to the
//! layer) is written without `CategoryEncoding` ([`weighted_count`]).

use super::tf_op_lambda::tensor_ref;
use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "CategoryEncoding" {
        return Outcome::Skip;
    }
    let Some(shape) = site.shapes.and_then(|s| s.inputs.first()) else {
        return Outcome::Cannot(
            "its input shape is unknown (TensorFlow.js 4.22's CategoryEncoding overwrites its \
             input's shape, which a rewrite avoids with a Reshape of that shape)"
                .into(),
        );
    };
    let Some(dims) = shape[1..].iter().copied().collect::<Option<Vec<usize>>>() else {
        return Outcome::Cannot(format!(
            "its input shape {shape:?} is not static (TensorFlow.js 4.22's CategoryEncoding \
             overwrites its input's shape, which a rewrite avoids with a Reshape of that shape)"
        ));
    };
    let node = match site.single_call("its rewrite needs several layers") {
        Ok(n) => n,
        Err(why) => return Outcome::Cannot(why),
    };
    if let Some(weights) = node.as_array().and_then(|refs| refs.get(1)) {
        return weighted_count(site, node, weights, &dims).unwrap_or_else(Outcome::Cannot);
    }
    if site.dialect.is_keras3() {
        return dropping_out_of_range(site, node, &dims).unwrap_or_else(Outcome::Cannot);
    }
    let copy = format!("{}_input", site.name);
    Outcome::weightless(vec![
        entry(
            &copy,
            "Reshape",
            json!({ "target_shape": dims }),
            vec![node.clone()],
        ),
        entry_on(
            site.name,
            "CategoryEncoding",
            Value::Object(site.config.clone()),
            &copy,
        ),
    ])
}

/// The layer's `num_tokens`, where its ids are known to be integers (the
/// one-hot rows of `Dense` / `Minimum` are exact only for them), or why not.
fn num_tokens_of_integer_ids(site: &Site<'_>) -> Result<usize, String> {
    let n = site
        .field("num_tokens", Value::as_u64)
        .ok_or("its num_tokens is not a count")? as usize;
    site.shapes
        .and_then(|s| s.integer_inputs.first().copied().flatten())
        .map(|_| n)
        .ok_or_else(|| {
            "its ids may be fractional (only integer inputs, lookups and casts are rewritten)"
                .into()
        })
}

/// Keras 3's `CategoryEncoding` (TensorFlow backend) drops ids `>=
/// num_tokens` (its `bincount`'s `maxlength`; `one_hot` mode also negative
/// ids) where TF.js 4.22's raises, so it is written without
/// `CategoryEncoding`: per id its one-hot row (`Minimum` of two
/// `Dense(num_tokens, relu)`, exact for integer ids and zero for ids out of
/// range), then `one_hot` keeps the rows, `multi_hot` takes their
/// `GlobalMaxPooling1D` (exact) and `count` sums them by `Permute`, a ones
/// `Dense(1)` and `Reshape` (sums of 0/1: exact). A rank-1 input in
/// `multi_hot` / `count` mode (one bag of the whole batch's ids) is refused:
/// no TF.js layer reduces over the batch.
fn dropping_out_of_range(site: &Site<'_>, node: &Value, dims: &[usize]) -> Result<Outcome, String> {
    let mode = match site.field("output_mode", Value::as_str) {
        Some("one_hot" | "oneHot") => "one_hot",
        Some("count") => "count",
        _ => "multi_hot",
    };
    let why = "Keras 3 drops ids >= num_tokens where TensorFlow.js 4.22's CategoryEncoding raises";
    let tokens = match (dims, mode) {
        (&[], "one_hot") => None,
        (&[t], _) => Some(t),
        (&[], _) => {
            return Err(format!(
                "{why}, and a rank-1 input in {mode} mode is one bag of the whole batch's ids \
                 (no TensorFlow.js layer reduces over the batch)"
            ))
        }
        _ => {
            return Err(format!(
                "{why}, and its input of shape {dims:?} is not rewritten (one sequence of ids \
                 per sample only)"
            ))
        }
    };
    let n = num_tokens_of_integer_ids(site).map_err(|e| format!("{why}, and {e}"))?;
    let ids = node
        .get(0)
        .and_then(tensor_ref)
        .ok_or("malformed inbound node")?;
    let name = site.name;
    let s = |p: &str| format!("{name}_{p}");
    let on = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let dense = |units: usize, bias: bool, activation: &str| {
        let mut c = super::zero_dense(units, bias);
        c["activation"] = json!(activation);
        c
    };
    let hit = match (tokens, mode) {
        (None, _) | (Some(2..), "one_hot") => name.to_string(),
        _ => s("hit"),
    };
    let dims: Vec<usize> = tokens.into_iter().collect();
    let ks: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let (mut layers, mut weights) =
        super::one_hot::value_hits(name, json!([ids]), &dims, &ks, &hit);
    let w = super::f32_weight;
    match (tokens, mode) {
        (Some(1), "one_hot") => {
            layers.push(entry(
                name,
                "Reshape",
                json!({"target_shape": [n]}),
                on(&hit),
            ));
        }
        (Some(_), "multi_hot") => {
            layers.push(entry(name, "GlobalMaxPooling1D", json!({}), on(&hit)));
        }
        (Some(t), "count") => {
            layers.push(entry(
                &s("by_id"),
                "Permute",
                json!({"dims": [2, 1]}),
                on(&hit),
            ));
            layers.push(entry(
                &s("sum"),
                "Dense",
                dense(1, false, "linear"),
                on(&s("by_id")),
            ));
            layers.push(entry(
                name,
                "Reshape",
                json!({"target_shape": [n]}),
                on(&s("sum")),
            ));
            weights.push(w(format!("{}/kernel", s("sum")), vec![t, 1], vec![1.0; t]));
        }
        _ => {}
    }
    site.note(format!(
        "Keras 3's {mode} encoding as one-hot ids (Minimum of two Dense(relu)), ids >= num_tokens dropped"
    ));
    Ok(Outcome::Replace { layers, weights })
}

/// A `count` call given `count_weights=w` (its second input, which TF.js
/// 4.22's executor would not pass to the layer): per token the one-hot of
/// its id (`Minimum` of two `Dense(num_tokens, relu)`, as in
/// [`super::one_hot`]: exact for integer ids, an id past `num_tokens`
/// giving zeros as Keras 3's `bincount`), times its weight (spread over
/// the tokens by a ones `Dense`: exact), summed over the tokens by
/// `Permute`, a ones `Dense(1)` and `Reshape` (the weighted `bincount`'s
/// sums in another order, within float32 rounding).
fn weighted_count(
    site: &Site<'_>,
    node: &Value,
    weights: &Value,
    dims: &[usize],
) -> Result<Outcome, String> {
    let mode = site
        .field("output_mode", Value::as_str)
        .unwrap_or("multi_hot");
    if mode != "count" {
        return Err(format!(
            "count_weights with output_mode {mode:?} (Keras refuses it)"
        ));
    }
    let &[tokens] = dims else {
        return Err(format!(
            "count_weights of an input of shape {dims:?} is not rewritten (one sequence of ids per \
             sample only)"
        ));
    };
    let n = num_tokens_of_integer_ids(site)?;
    let r = |v: Option<&Value>| v.and_then(tensor_ref).ok_or("malformed inbound node");
    let ids = r(node.get(0))?;
    let w = r(Some(weights))?;
    let name = site.name;
    let s = |p: &str| format!("{name}_{p}");
    let on = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let dense = |units: usize, bias: bool, activation: &str| {
        let mut c = super::zero_dense(units, bias);
        c["activation"] = json!(activation);
        c
    };
    let ks: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let (mut layers, mut weights) =
        super::one_hot::value_hits(name, json!([ids]), dims, &ks, &s("hit"));
    layers.extend([
        entry(
            &s("w"),
            "Reshape",
            json!({"target_shape": [tokens, 1]}),
            vec![json!([w])],
        ),
        entry(
            &s("spread"),
            "Dense",
            dense(n, false, "linear"),
            on(&s("w")),
        ),
        entry(
            &s("weighted"),
            "Multiply",
            json!({}),
            vec![json!([[s("hit"), 0, 0, {}], [s("spread"), 0, 0, {}]])],
        ),
        entry(
            &s("by_id"),
            "Permute",
            json!({"dims": [2, 1]}),
            on(&s("weighted")),
        ),
        entry(
            &s("sum"),
            "Dense",
            dense(1, false, "linear"),
            on(&s("by_id")),
        ),
        entry(name, "Reshape", json!({"target_shape": [n]}), on(&s("sum"))),
    ]);
    let w = super::f32_weight;
    site.note("count_weights as one-hot ids (Minimum of two Dense(relu)) times the weights, summed by a ones Dense");
    weights.extend([
        w(format!("{}/kernel", s("spread")), vec![1, n], vec![1.0; n]),
        w(
            format!("{}/kernel", s("sum")),
            vec![tokens, 1],
            vec![1.0; tokens],
        ),
    ]);
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::Tensor;

    #[test]
    fn category_encoding_gets_a_reshaped_copy_of_its_input() {
        let layers = chain(
            "x",
            json!([["onehot", "CategoryEncoding", {"num_tokens": 5, "output_mode": "one_hot"}]]),
        );
        let model = functional(&[1], layers, 1);
        let x = Tensor::from_f32(vec![3, 1], vec![0.0, 4.0, 2.0]).unwrap();
        let out = assert_same(&model, &x, 0.0);
        assert_note(
            &out,
            "onehot (CategoryEncoding) -> Reshape + CategoryEncoding",
        );
    }
}

#[cfg(test)]
mod count_weights_tests {
    use super::super::probes::keras2_call;
    use super::super::rewrite_for_tfjs;
    use super::super::test_util::*;
    use crate::{LayerRegistry, LoadOptions, Model, Tensor};

    /// `CategoryEncoding(num_tokens=5, output_mode="count")(ids,
    /// count_weights=w)`: Keras 3.15 gives [[0, 0.75, 0, 2, 1]] for ids
    /// [[1, 1, 3, 4]] and w [[0.5, 0.25, 2, 1]] (`keras.Model([c, w],
    /// layer(c, count_weights=w))`); the engine and the rewrite agree.
    #[test]
    fn count_weights_are_counted_and_rewritten() {
        let input = |n: &str, dtype: &str| {
            json!({"name": n, "class_name": "InputLayer", "inbound_nodes": [],
                   "config": {"batch_input_shape": [null, 4], "dtype": dtype,
                              "sparse": false, "name": n}})
        };
        let enc = entry(
            "enc",
            "CategoryEncoding",
            json!({"num_tokens": 5, "output_mode": "count"}),
            vec![keras2_call("ids", json!({"count_weights": ["w", 0, 0]}))],
        );
        let topology = json!({"class_name": "Functional", "keras_version": "3.15.0",
            "config": {"name": "m", "layers": [input("ids", "int32"), input("w", "float32"), enc],
                       "input_layers": [["ids", 0, 0], ["w", 0, 0]],
                       "output_layers": [["enc", 0, 0]]}});
        let model = Model::from_topology(&topology, &LayerRegistry::with_builtins(), 1).unwrap();
        let ids = Tensor::from_i32(vec![1, 4], vec![1, 1, 3, 4]).unwrap();
        let w = Tensor::from_f32(vec![1, 4], vec![0.5, 0.25, 2.0, 1.0]).unwrap();
        let want = [0.0, 0.75, 0.0, 2.0, 1.0];
        let got = model.predict(&[ids.clone(), w.clone()]).unwrap();
        assert_eq!(got[0].as_f32().unwrap(), want);
        let out = rewrite_for_tfjs(&model).unwrap();
        assert_note(&out, "count_weights as one-hot ids");
        let back = Model::from_artifacts(&out.artifacts, &LoadOptions::default()).unwrap();
        assert_eq!(back.predict(&[ids, w]).unwrap()[0].as_f32().unwrap(), want);
    }
}

#[cfg(test)]
mod keras3_tests {
    use super::super::rewrite_for_tfjs;
    use super::super::test_util::*;
    use crate::{LayerRegistry, LoadOptions, Model, Tensor};

    fn model(mode: &str, shape: serde_json::Value) -> Model {
        let enc = entry(
            "enc",
            "CategoryEncoding",
            json!({"num_tokens": 4, "output_mode": mode}),
            vec![json!([["ids", 0, 0, {}]])],
        );
        let topology = json!({"class_name": "Functional", "keras_version": "3.15.1",
            "config": {"name": "m", "layers": [
                {"name": "ids", "class_name": "InputLayer", "inbound_nodes": [],
                 "config": {"batch_input_shape": shape, "dtype": "int32",
                            "sparse": false, "name": "ids"}}, enc],
                "input_layers": [["ids", 0, 0]], "output_layers": [["enc", 0, 0]]}});
        Model::from_topology(&topology, &LayerRegistry::with_builtins(), 1).unwrap()
    }

    /// Keras 3's CategoryEncoding drops ids >= num_tokens; the rewrite
    /// (without TF.js's CategoryEncoding, which raises on them) keeps that.
    /// Values from
    ///   for m in ["multi_hot", "count", "one_hot"]:
    ///       keras.layers.CategoryEncoding(4, output_mode=m)(np.array([[0, 5, 0], [1, 4, 3]]))
    ///   # multi_hot [[1,0,0,0],[0,1,0,1]]; count [[2,0,0,0],[0,1,0,1]];
    ///   # one_hot rows [1,0,0,0] 0 [1,0,0,0] / [0,1,0,0] 0 [0,0,0,1]
    ///   keras.layers.CategoryEncoding(4, output_mode="one_hot")(np.array([[2], [7]]))
    ///   # [[0,0,1,0],[0,0,0,0]] (also for the rank-1 np.array([2, 7]))
    #[test]
    fn keras3_drops_ids_past_num_tokens_and_so_does_its_rewrite() {
        let ids = Tensor::from_i32(vec![2, 3], vec![0, 5, 0, 1, 4, 3]).unwrap();
        let cases: [(&str, Vec<f32>); 3] = [
            ("multi_hot", vec![1., 0., 0., 0., 0., 1., 0., 1.]),
            ("count", vec![2., 0., 0., 0., 0., 1., 0., 1.]),
            (
                "one_hot",
                vec![
                    1., 0., 0., 0., 0., 0., 0., 0., 1., 0., 0., 0., //
                    0., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 1.,
                ],
            ),
        ];
        // (A rank-1 model input is rewritten as `[batch, 1]`.)
        let check = |m: &Model, x: &Tensor, want: &[f32]| {
            assert_eq!(
                m.predict(std::slice::from_ref(x)).unwrap()[0]
                    .as_f32()
                    .unwrap(),
                want
            );
            let out = rewrite_for_tfjs(m).unwrap();
            assert_note(&out, "ids >= num_tokens dropped");
            let back = Model::from_artifacts(&out.artifacts, &LoadOptions::default()).unwrap();
            let x = x
                .clone()
                .reshape(vec![x.shape()[0], x.len() / x.shape()[0]])
                .unwrap();
            let got = back.predict(&[x]).unwrap().remove(0);
            assert_eq!(got.as_f32().unwrap(), want);
            got.shape().to_vec()
        };
        for (mode, want) in cases {
            check(&model(mode, json!([null, 3])), &ids, &want);
        }
        let want = [0., 0., 1., 0., 0., 0., 0., 0.];
        let col = Tensor::from_i32(vec![2, 1], vec![2, 7]).unwrap();
        assert_eq!(
            check(&model("one_hot", json!([null, 1])), &col, &want),
            [2, 4]
        );
        let row = Tensor::from_i32(vec![2], vec![2, 7]).unwrap();
        assert_eq!(check(&model("one_hot", json!([null])), &row, &want), [2, 4]);
        let err = rewrite_for_tfjs(&model("count", json!([null]))).unwrap_err();
        assert!(
            err.to_string().contains("one bag of the whole batch"),
            "{err}"
        );
    }
}
