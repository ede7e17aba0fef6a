//! `MultiHeadAttention` (rank-3 query/key/value, default attention axes,
//! no masks) → one branch per head built from TF.js layers:
//!
//! ```text
//! q_h = Dense(key_dim)(query)      weights query/kernel[:, h, :], query/bias[h]
//! k_h = Dense(key_dim)(key)        (key defaults to value)
//! v_h = Dense(value_dim)(value)
//! s_h = Dot(axes=[2, 2])([Rescaling(1/sqrt(key_dim))(q_h), k_h])
//! c_h = Dot(axes=[2, 1])([Softmax(-1)(s_h), v_h])
//! out = Dense(output_dim)(Concatenate(-1)([c_0, …]))   attention_output/kernel as [heads*value_dim, out]
//! ```
//!
//! which is Keras's computation (the query is scaled before the dot
//! product, as Keras does). An `attention_mask`, `use_causal_mask` or a
//! Keras mask reaching the layer (from `Embedding(mask_zero=True)` or
//! `Masking`) has no TF.js equivalent without constant tensors; such
//! layers are refused.

use super::{entry, f32_weight, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "MultiHeadAttention" {
        return Outcome::Skip;
    }
    match rewrite(site) {
        Ok(o) => o,
        Err(why) => Outcome::Cannot(why),
    }
}

fn tensor_ref(v: &Value) -> Option<Value> {
    let a = v.as_array()?;
    (a.len() >= 3 && a[0].is_string()).then(|| json!([a[0], a[1], a[2], {}]))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    if site.masks_possible {
        return Err(
            "the model has Keras masks (Embedding mask_zero or Masking), which the attention \
             would apply; TF.js layers cannot"
                .into(),
        );
    }
    let node = site.single_call("outside a functional model")?;
    let refs = node.as_array().ok_or("malformed inbound node")?;
    let first = refs.first().ok_or("the call has no inputs")?;
    let kwargs = first.get(3).and_then(Value::as_object);
    if kwargs
        .and_then(|k| k.get("use_causal_mask"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        return Err("use_causal_mask: true has no TF.js equivalent".into());
    }
    // Keras 3 `_args` are all positional; Keras 2 tensor kwargs follow the
    // positional inputs in their order.
    let tensor_kwargs: Vec<&str> = kwargs
        .map(|k| {
            k.iter()
                .filter(|(name, v)| *name != "_args" && tensor_ref(v).is_some())
                .map(|(name, _)| name.as_str())
                .collect()
        })
        .unwrap_or_default();
    if tensor_kwargs.contains(&"attention_mask") {
        return Err("an attention_mask has no TF.js equivalent".into());
    }
    let inputs: Vec<Value> = refs
        .iter()
        .map(tensor_ref)
        .collect::<Option<_>>()
        .ok_or("malformed inbound node")?;
    let positional = inputs
        .len()
        .checked_sub(tensor_kwargs.len())
        .filter(|&p| p >= 1)
        .ok_or("malformed inbound node")?;
    let kw = |name: &str| {
        tensor_kwargs
            .iter()
            .position(|k| *k == name)
            .map(|i| inputs[positional + i].clone())
    };
    let query = inputs[0].clone();
    let value = if positional > 1 {
        Some(inputs[1].clone())
    } else {
        kw("value")
    }
    .ok_or("the call has no value tensor")?;
    let key = if positional > 2 {
        Some(inputs[2].clone())
    } else {
        kw("key")
    }
    .unwrap_or_else(|| value.clone());
    if site
        .shapes
        .and_then(|s| s.inputs.first())
        .is_none_or(|s| s.len() != 3)
    {
        return Err("only rank-3 (batch, sequence, features) inputs are rewritten".into());
    }
    if let Some(axes) = site.config.get("attention_axes").filter(|a| !a.is_null()) {
        if axes != &json!([1]) && axes != &json!(1) {
            return Err(format!("attention_axes {axes} are not the default"));
        }
    }
    let c = site.config;
    let heads = c
        .get("num_heads")
        .and_then(Value::as_u64)
        .ok_or("no num_heads")? as usize;
    let key_dim = c
        .get("key_dim")
        .and_then(Value::as_u64)
        .ok_or("no key_dim")? as usize;
    let use_bias = c.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
    let name = site.name;
    let mut layers = Vec::new();
    let mut weights: Vec<DecodedWeight> = Vec::new();
    let r = |n: &str| json!([n, 0, 0, {}]);
    // Per-head projections.
    let mut project = |part: &str, input: &Value, h: usize| -> Result<String, String> {
        let (shape, k) = site.f32_weight(&format!("{part}/kernel"))?;
        let [d, hs, e] = shape else {
            return Err(format!("{part}/kernel has shape {shape:?}"));
        };
        let (d, hs, e) = (*d, *hs, *e);
        if hs != heads {
            return Err(format!(
                "{part}/kernel has {hs} heads, num_heads is {heads}"
            ));
        }
        let lname = format!("{name}_{part}_{h}");
        let kernel: Vec<f32> = (0..d)
            .flat_map(|i| k[(i * hs + h) * e..][..e].iter().copied())
            .collect();
        weights.push(f32_weight(format!("{lname}/kernel"), vec![d, e], kernel));
        if use_bias {
            let (_, b) = site.f32_weight(&format!("{part}/bias"))?;
            weights.push(f32_weight(
                format!("{lname}/bias"),
                vec![e],
                b[h * e..][..e].to_vec(),
            ));
        }
        layers.push(entry(
            &lname,
            "Dense",
            json!({"units": e, "activation": "linear", "use_bias": use_bias,
                   "kernel_initializer": {"class_name": "Zeros", "config": {}},
                   "bias_initializer": {"class_name": "Zeros", "config": {}},
                   "kernel_regularizer": null, "bias_regularizer": null,
                   "activity_regularizer": null, "kernel_constraint": null,
                   "bias_constraint": null}),
            vec![json!([input])],
        ));
        Ok(lname)
    };
    let mut contexts = Vec::new();
    let mut head_layers = Vec::new();
    for h in 0..heads {
        let q = project("query", &query, h)?;
        let k = project("key", &key, h)?;
        let v = project("value", &value, h)?;
        contexts.push((q, k, v));
    }
    let scale = 1.0 / (key_dim as f32).sqrt();
    for (h, (q, k, v)) in contexts.iter().enumerate() {
        let qs = format!("{name}_scaled_query_{h}");
        head_layers.push(entry(
            &qs,
            "Rescaling",
            json!({"scale": f64::from(scale), "offset": 0.0}),
            vec![json!([r(q)])],
        ));
        let s = format!("{name}_scores_{h}");
        head_layers.push(entry(
            &s,
            "Dot",
            json!({"axes": [2, 2], "normalize": false}),
            vec![json!([r(&qs), r(k)])],
        ));
        let p = format!("{name}_softmax_{h}");
        head_layers.push(entry(
            &p,
            "Softmax",
            json!({"axis": -1}),
            vec![json!([r(&s)])],
        ));
        let cx = format!("{name}_context_{h}");
        head_layers.push(entry(
            &cx,
            "Dot",
            json!({"axes": [2, 1], "normalize": false}),
            vec![json!([r(&p), r(v)])],
        ));
    }
    layers.extend(head_layers);
    let ctx_names: Vec<String> = (0..heads).map(|h| format!("{name}_context_{h}")).collect();
    let joined = if heads == 1 {
        ctx_names[0].clone()
    } else {
        let cat = format!("{name}_heads");
        layers.push(entry(
            &cat,
            "Concatenate",
            json!({"axis": -1}),
            vec![Value::Array(ctx_names.iter().map(|n| r(n)).collect())],
        ));
        cat
    };
    let (oshape, ok) = site.f32_weight("attention_output/kernel")?;
    let [oh, ov, out] = oshape else {
        return Err(format!("attention_output/kernel has shape {oshape:?}"));
    };
    weights.push(f32_weight(
        format!("{name}/kernel"),
        vec![oh * ov, *out],
        ok.to_vec(),
    ));
    if use_bias {
        let (_, ob) = site.f32_weight("attention_output/bias")?;
        weights.push(f32_weight(format!("{name}/bias"), vec![*out], ob.to_vec()));
    }
    layers.push(entry(
        name,
        "Dense",
        json!({"units": out, "activation": "linear", "use_bias": use_bias,
               "kernel_initializer": {"class_name": "Zeros", "config": {}},
               "bias_initializer": {"class_name": "Zeros", "config": {}},
               "kernel_regularizer": null, "bias_regularizer": null,
               "activity_regularizer": null, "kernel_constraint": null,
               "bias_constraint": null}),
        vec![json!([r(&joined)])],
    ));
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{entry, rewrite_for_tfjs};
    use serde_json::json;

    #[test]
    fn multi_head_attention_becomes_dense_dot_softmax_per_head() {
        let layers = vec![
            dense("d", 6, "x"),
            // Keras 2 form: value (and key) as tensor kwargs.
            entry(
                "self",
                "MultiHeadAttention",
                json!({"num_heads": 2, "key_dim": 3, "value_dim": 4, "use_bias": true, "output_shape": null, "attention_axes": [1]}),
                vec![json!([["d", 0, 0, {"value": ["d", 0, 0]}], ["d", 0, 0, {}]])],
            ),
            // Keras 3 form: positional query, value, key.
            entry(
                "cross",
                "MultiHeadAttention",
                json!({"num_heads": 3, "key_dim": 2, "value_dim": null, "use_bias": false, "output_shape": 5}),
                vec![
                    json!([["self", 0, 0, {"_args": [["self", 0, 0], ["d", 0, 0], ["x", 0, 0]]}], ["d", 0, 0, {}], ["x", 0, 0, {}]]),
                ],
            ),
        ];
        let model = functional(&[4, 6], layers, 13);
        let out = assert_same(&model, &input(&[2, 4, 6]), 1e-5);
        assert_note(&out, "cross (MultiHeadAttention) -> Dense");
    }

    #[test]
    fn masked_attention_is_refused() {
        let layers = vec![entry(
            "causal",
            "MultiHeadAttention",
            json!({"num_heads": 1, "key_dim": 2}),
            vec![
                json!([["x", 0, 0, {"value": ["x", 0, 0], "use_causal_mask": true}], ["x", 0, 0, {}]]),
            ],
        )];
        let model = functional(&[3, 2], layers, 13);
        let err = rewrite_for_tfjs(&model).unwrap_err().to_string();
        assert!(
            err.contains("`causal` (MultiHeadAttention): use_causal_mask: true"),
            "{err}"
        );
    }
}
