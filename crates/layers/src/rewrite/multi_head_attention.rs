//! `MultiHeadAttention` (rank-3 query/key/value, default attention axes,
//! masks as below; unmasked rank-4+ inputs attending over every axis
//! between the batch and the features, as `[positions, features]`
//! `Reshape` views, the output reshaped back) → one branch per head built
//! from TF.js layers:
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
//! product, as Keras does).
//!
//! Masks: Keras's masked softmax adds `(1 - mask) * -1e9` to the scores.
//! An `attention_mask` tensor `m` (0/1 values) becomes
//! `bias = Rescaling(1e9, -1e9)(m)` (exactly 0 or -1e9) added to each head's
//! scores before the softmax. `use_causal_mask` needs the constant bias of
//! the lower-triangular `[T, S]` mask, which TF.js layers can only compute:
//! `Dense(1)` with a zero kernel on the pooled query gives exactly 0, and a
//! `Dense(T*S)` with a zero kernel and the bias as its bias, reshaped,
//! gives the bias; an `attention_mask` given as a constant array (`[T, S]`
//! or `[1, T, S]`) becomes such a constant bias too (ANDed with the causal
//! mask). With a tensor mask as well, `Minimum` of the two biases is
//! Keras's AND of the masks. A Keras mask reaching the layer (from
//! `Embedding(mask_zero=True)` or `Masking`) is refused, and so is
//! `return_attention_scores` (a second output of the replaced layer).

use super::{concatenate_entry, entry, f32_weight, zero_dense, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "MultiHeadAttention" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(Outcome::Cannot)
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
    let flag = |k: &str| kwargs.and_then(|kw| kw.get(k)).and_then(Value::as_bool) == Some(true);
    if flag("return_attention_scores") {
        // The per-head softmaxes would be a second output of one replaced
        // layer; the rewrite gives the layer one.
        return Err("return_attention_scores (a second output) is not rewritten".into());
    }
    let causal = flag("use_causal_mask");
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
    let inputs: Vec<Value> = refs
        .iter()
        .map(tensor_ref)
        .collect::<Option<_>>()
        .ok_or("malformed inbound node")?;
    // Keras 3's `value_mask` / `key_mask` arguments (a `query_mask` has no
    // effect in Keras 3's MultiHeadAttention, which reads the query's own
    // Keras mask instead).
    if let Some(k) = tensor_kwargs
        .iter()
        .find(|k| matches!(**k, "value_mask" | "key_mask"))
    {
        return Err(format!(
            "the call's {k} (a padding mask of the keys) is not rewritten"
        ));
    }
    let positional = inputs
        .len()
        .checked_sub(tensor_kwargs.len())
        .filter(|&p| p >= 1 || tensor_kwargs.contains(&"query"))
        .ok_or("malformed inbound node")?;
    let kw = |name: &str| {
        tensor_kwargs
            .iter()
            .position(|k| *k == name)
            .map(|i| inputs[positional + i].clone())
    };
    let query = if positional > 0 {
        inputs[0].clone()
    } else {
        kw("query").ok_or("the call has no query tensor")?
    };
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
    let attention_mask = kw("attention_mask");
    // An `attention_mask` given as a constant array (not a tensor).
    let constant_mask = kwargs
        .and_then(|k| k.get("attention_mask"))
        .filter(|v| !v.is_null() && tensor_ref(v).is_none())
        .map(|v| {
            crate::layers::tf_ops::constant_argument(v)
                .ok_or("attention_mask is neither a tensor nor a constant array")
        })
        .transpose()?;
    let shapes = site
        .shapes
        .filter(|s| s.inputs.first().is_some_and(|q| q.len() >= 3))
        .ok_or("the query's shape is unknown")?;
    let rank = shapes.inputs[0].len();
    let all_middle: Vec<Value> = (1..rank - 1).map(|a| json!(a)).collect();
    if let Some(axes) = site.config.get("attention_axes").filter(|a| !a.is_null()) {
        let middle = axes == &Value::Array(all_middle.clone()) || (rank == 3 && axes == &json!(1));
        if !middle {
            return Err(format!(
                "attention_axes {axes} (attention over only some of the axes between the \
                 batch and the features; TF.js layers cannot fold the others into the batch)"
            ));
        }
    }
    let mut layers = Vec::new();
    // Attention over every axis between the batch and the features (an
    // image's `[H, W]`): Keras's computation on the positions flattened
    // into one sequence, so the inputs are `[positions, features]` views
    // and the output is reshaped back to the query's positions.
    let (query, value, key, query_positions) = if rank > 3 {
        if attention_mask.is_some() || causal || constant_mask.is_some() {
            return Err(format!(
                "a mask with rank-{rank} inputs (only unmasked attention over every middle \
                 axis is rewritten for them)"
            ));
        }
        let static_dims = |i: usize| -> Result<Vec<usize>, String> {
            let s = shapes.inputs.get(i).ok_or("an input's shape is unknown")?;
            s[1..]
                .iter()
                .copied()
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| format!("an input of shape {s:?} (static sizes needed)"))
        };
        let q_dims = static_dims(0)?;
        let mut flat = |part: &str, input: &Value, dims: &[usize]| -> Value {
            let lname = format!("{}_{part}_positions", site.name);
            let positions: usize = dims[..dims.len() - 1].iter().product();
            layers.push(entry(
                &lname,
                "Reshape",
                json!({"target_shape": [positions, dims[dims.len() - 1]]}),
                vec![json!([input])],
            ));
            json!([lname, 0, 0, {}])
        };
        let q = flat("query", &query, &q_dims);
        let v_dims = static_dims(1).unwrap_or_else(|_| q_dims.clone());
        let v = flat("value", &value, &v_dims);
        let k = if key == value {
            v.clone()
        } else {
            let k_dims = static_dims(2).unwrap_or_else(|_| v_dims.clone());
            flat("key", &key, &k_dims)
        };
        (q, v, k, Some(q_dims[..q_dims.len() - 1].to_vec()))
    } else {
        (query, value, key, None)
    };
    if let Some(w) = site.config.get("sliding_window").filter(|w| !w.is_null()) {
        return Err(format!(
            "sliding_window {w} (a band mask of the sequence lengths) is not rewritten"
        ));
    }
    if site.config.get("use_gate").and_then(Value::as_bool) == Some(true) {
        return Err("use_gate (the sigmoid gate on the attention output) is not rewritten".into());
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
            zero_dense(e, use_bias),
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
    let bias = mask_bias(
        site,
        shapes,
        &query,
        attention_mask,
        (causal, constant_mask.as_ref()),
        &mut layers,
        &mut weights,
    )?;
    let scale = 1.0 / (key_dim as f32).sqrt();
    for (h, (q, k, v)) in contexts.iter().enumerate() {
        // The head's layer `{name}_{part}_{h}` of `class` on `inputs`.
        let mut add = |part: &str, class: &str, config: Value, inputs: &[&str]| {
            let lname = format!("{name}_{part}_{h}");
            let inputs = inputs.iter().map(|n| r(n)).collect();
            head_layers.push(entry(&lname, class, config, vec![Value::Array(inputs)]));
            lname
        };
        let rescale = json!({"scale": f64::from(scale), "offset": 0.0});
        let qs = add("scaled_query", "Rescaling", rescale, &[q]);
        let dot = json!({"axes": [2, 2], "normalize": false});
        let s = add("scores", "Dot", dot, &[&qs, k]);
        let scores = match &bias {
            Some(b) => add("masked_scores", "Add", json!({}), &[&s, b]),
            None => s,
        };
        let p = add("softmax", "Softmax", json!({"axis": -1}), &[&scores]);
        let dot = json!({"axes": [2, 1], "normalize": false});
        add("context", "Dot", dot, &[&p, v]);
    }
    layers.extend(head_layers);
    let ctx_names: Vec<String> = (0..heads).map(|h| format!("{name}_context_{h}")).collect();
    let joined = if heads == 1 {
        ctx_names[0].clone()
    } else {
        let cat = format!("{name}_heads");
        let heads = ctx_names.iter().map(|n| r(n)).collect();
        layers.push(concatenate_entry(&cat, -1, heads));
        cat
    };
    // A tuple output_shape (`[heads, value_dim, o1, o2, …]` kernel) is the
    // Dense of their product, then a Reshape of the last axis.
    let (oshape, ok) = site.f32_weight("attention_output/kernel")?;
    let [oh, ov, dims @ ..] = oshape else {
        return Err(format!("attention_output/kernel has shape {oshape:?}"));
    };
    if dims.is_empty() {
        return Err(format!("attention_output/kernel has shape {oshape:?}"));
    }
    let out: usize = dims.iter().product();
    if query_positions.is_some() && dims.len() > 1 {
        return Err("an output_shape tuple with rank-4 or higher inputs".into());
    }
    let dense = if dims.len() > 1 || query_positions.is_some() {
        format!("{name}_flat")
    } else {
        name.to_string()
    };
    weights.push(f32_weight(
        format!("{dense}/kernel"),
        vec![oh * ov, out],
        ok.to_vec(),
    ));
    if use_bias {
        let (_, ob) = site.f32_weight("attention_output/bias")?;
        weights.push(f32_weight(format!("{dense}/bias"), vec![out], ob.to_vec()));
    }
    layers.push(entry(
        &dense,
        "Dense",
        zero_dense(out, use_bias),
        vec![json!([r(&joined)])],
    ));
    if let Some(positions) = query_positions {
        let mut target: Vec<Value> = positions.iter().map(|&d| json!(d)).collect();
        target.push(json!(out));
        layers.push(entry(
            name,
            "Reshape",
            json!({ "target_shape": target }),
            vec![json!([r(&dense)])],
        ));
    } else if dims.len() > 1 {
        // The query's steps, written when known (TF.js infers no shape
        // through a -1, and a Flatten after it needs one).
        let steps = site
            .shapes
            .and_then(|s| s.inputs.first())
            .and_then(|q| q.get(1).copied().flatten())
            .map_or(json!(-1), |t| json!(t));
        let mut target = vec![steps];
        target.extend(dims.iter().map(|&d| json!(d)));
        layers.push(entry(
            name,
            "Reshape",
            json!({ "target_shape": target }),
            vec![json!([r(&dense)])],
        ));
    }
    Ok(Outcome::Replace { layers, weights })
}

/// Keras's additive softmax mask `(1 - mask) * -1e9` for the scores
/// `[batch, T, S]`, as layers (see the module docs); `None` without masks.
fn mask_bias(
    site: &Site<'_>,
    shapes: &super::LayerShapes,
    query: &Value,
    attention_mask: Option<Value>,
    (causal, constant): (bool, Option<&crate::Tensor>),
    layers: &mut Vec<Value>,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Option<String>, String> {
    let name = site.name;
    let r = |n: &str| json!([n, 0, 0, {}]);
    let mut mask_bias = None;
    if let Some(m) = attention_mask {
        let bias = format!("{name}_mask_bias");
        layers.push(entry(
            &bias,
            "Rescaling",
            json!({"scale": 1e9, "offset": -1e9}),
            vec![json!([m])],
        ));
        mask_bias = Some(bias);
    }
    let mut causal_bias = None;
    if causal || constant.is_some() {
        let len = |i: usize| {
            shapes
                .inputs
                .get(i)
                .and_then(|s| s.get(1).copied().flatten())
        };
        let (Some(t), Some(s)) = (len(0), len(1).or(len(0))) else {
            return Err(
                "use_causal_mask or a constant attention_mask needs known sequence lengths".into(),
            );
        };
        let d = shapes.inputs[0][2].ok_or(
            "use_causal_mask or a constant attention_mask needs a known query feature size",
        )?;
        let keep = match constant {
            None => None,
            Some(m) => Some(constant_mask_matrix(m, t, s)?),
        };
        causal_bias = Some(match keep {
            None => causal_bias_layers(name, query, [t, s, d], -1e9, layers, weights)?,
            Some(keep) => {
                // Keras ANDs a causal mask with the given one.
                let bias = (0..t)
                    .flat_map(|i| (0..s).map(move |j| (i, j)))
                    .map(|(i, j)| {
                        if keep[i * s + j] && (!causal || j <= i) {
                            0.0
                        } else {
                            -1e9
                        }
                    })
                    .collect();
                bias_layers(name, "mask", query, [t, s, d], bias, layers, weights)?
            }
        });
    }
    Ok(match (mask_bias, causal_bias) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(one),
        (Some(m), Some(c)) => {
            let both = format!("{name}_mask_bias_and_causal");
            layers.push(entry(
                &both,
                "Minimum",
                json!({}),
                vec![json!([r(&m), r(&c)])],
            ));
            Some(both)
        }
    })
}

/// The constant `[T, S]` scores bias of a causal mask (`masked` where key
/// position `j` comes after query position `i`, else 0) as TF.js layers
/// computing it from `query` (`[batch, T, d]`, see [`bias_layers`]).
/// Returns the last layer's name (`<name>_causal_bias`); also
/// `dot_product_attention.rs`.
pub(super) fn causal_bias_layers(
    name: &str,
    query: &Value,
    [t, s, d]: [usize; 3],
    masked: f32,
    layers: &mut Vec<Value>,
    weights: &mut Vec<DecodedWeight>,
) -> Result<String, String> {
    // Keras: key position j is visible from query position i when j <= i.
    let bias: Vec<f32> = (0..t)
        .flat_map(|i| (0..s).map(move |j| if j <= i { 0.0 } else { masked }))
        .collect();
    bias_layers(name, "causal", query, [t, s, d], bias, layers, weights)
}

/// A constant `attention_mask` (`[T, S]`, `[1, T, S]`, or any axis 1) as
/// its `[T, S]` visibility (non-zero: visible); one mask per batch row
/// cannot be a constant of the rewrite.
fn constant_mask_matrix(m: &crate::Tensor, t: usize, s: usize) -> Result<Vec<bool>, String> {
    let shape = m.shape();
    let fits = (1..=3).contains(&shape.len())
        && shape
            .iter()
            .rev()
            .zip([s, t, 1])
            .all(|(&have, want)| have == want || have == 1);
    if !fits {
        return Err(format!(
            "a constant attention_mask of shape {shape:?} (expected [{t}, {s}] or [1, {t}, {s}], \
             each axis its size or 1) is not rewritten"
        ));
    }
    let values = m.to_f32();
    let (rows, cols) = match shape {
        [.., r, c] => (*r, *c),
        [c] => (1, *c),
        [] => (1, 1),
    };
    Ok((0..t)
        .flat_map(|i| (0..s).map(move |j| (i, j)))
        .map(|(i, j)| values[(i % rows) * cols + j % cols] != 0.0)
        .collect())
}

/// A constant `[T, S]` scores bias as TF.js layers computing it from
/// `query` (`[batch, T, d]`): `GlobalMaxPooling1D`, a zero-kernel
/// `Dense(1)` (exactly 0 for finite values), a zero-kernel `Dense(T·S)`
/// with the bias as its bias, `Reshape([T, S])`, named
/// `<name>_<tag>_{pool,zero,flat,bias}`. Returns the last layer's name.
fn bias_layers(
    name: &str,
    tag: &str,
    query: &Value,
    [t, s, d]: [usize; 3],
    bias: Vec<f32>,
    layers: &mut Vec<Value>,
    weights: &mut Vec<DecodedWeight>,
) -> Result<String, String> {
    let r = |n: &str| json!([n, 0, 0, {}]);
    if t.checked_mul(s).is_none_or(|n| n > 1 << 20) {
        return Err(format!(
            "a {tag} mask over {t}x{s} positions is too large to store as a constant"
        ));
    }
    let pooled = format!("{name}_{tag}_pool");
    layers.push(entry(
        &pooled,
        "GlobalMaxPooling1D",
        json!({}),
        vec![json!([query])],
    ));
    let zero = format!("{name}_{tag}_zero");
    weights.push(f32_weight(
        format!("{zero}/kernel"),
        vec![d, 1],
        vec![0.0; d],
    ));
    layers.push(entry(
        &zero,
        "Dense",
        zero_dense(1, false),
        vec![json!([r(&pooled)])],
    ));
    let flat = format!("{name}_{tag}_flat");
    weights.push(f32_weight(
        format!("{flat}/kernel"),
        vec![1, t * s],
        vec![0.0; t * s],
    ));
    weights.push(f32_weight(format!("{flat}/bias"), vec![t * s], bias));
    layers.push(entry(
        &flat,
        "Dense",
        zero_dense(t * s, true),
        vec![json!([r(&zero)])],
    ));
    let c = format!("{name}_{tag}_bias");
    layers.push(entry(
        &c,
        "Reshape",
        json!({"target_shape": [t, s]}),
        vec![json!([r(&flat)])],
    ));
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::super::probes::{keras2_call, keras3_call};
    use super::super::test_util::*;
    use serde_json::Value;

    /// A Keras 2 form `MultiHeadAttention` entry attending from `from` to
    /// `from` (the `value` keyword), with the call's other keywords `kwargs`.
    fn self_attention(name: &str, from: &str, config: Value, kwargs: Value) -> Value {
        let mut all = json!({"value": [from, 0, 0]});
        for (k, v) in kwargs.as_object().expect("kwargs are an object") {
            all[k] = v.clone();
        }
        entry(
            name,
            "MultiHeadAttention",
            config,
            vec![keras2_call(from, all)],
        )
    }

    #[test]
    fn multi_head_attention_becomes_dense_dot_softmax_per_head() {
        // (case, x shape, units of the Dense `d` on x, the attention layers
        // on `d`, a note of the rewrite)
        let cases = [
            (
                "Keras 2 self-attention, then Keras 3 cross-attention",
                [2, 4, 6],
                6,
                vec![
                    // Keras 2 form: value (and key) as tensor kwargs.
                    self_attention(
                        "self",
                        "d",
                        json!({"num_heads": 2, "key_dim": 3, "value_dim": 4, "use_bias": true, "output_shape": null, "attention_axes": [1]}),
                        json!({}),
                    ),
                    // Keras 3 form: positional query, value, key.
                    entry(
                        "cross",
                        "MultiHeadAttention",
                        json!({"num_heads": 3, "key_dim": 2, "value_dim": null, "use_bias": false, "output_shape": 5}),
                        vec![keras3_call(json!([
                            ["self", 0, 0],
                            ["d", 0, 0],
                            ["x", 0, 0]
                        ]))],
                    ),
                ],
                "cross (MultiHeadAttention) -> Dense",
            ),
            (
                "a causal mask adds Keras's mask bias",
                [2, 5, 3],
                4,
                vec![self_attention(
                    "causal",
                    "d",
                    json!({"num_heads": 2, "key_dim": 2}),
                    json!({"use_causal_mask": true}),
                )],
                "causal (MultiHeadAttention) -> Dense",
            ),
            (
                "a constant attention_mask (Keras 2's nested booleans) with a causal mask",
                [2, 3, 3],
                4,
                vec![self_attention(
                    "masked",
                    "d",
                    json!({"num_heads": 2, "key_dim": 2}),
                    json!({"use_causal_mask": true, "attention_mask":
                        [[[true, false, true], [false, true, true], [true, true, false]]]}),
                )],
                "masked (MultiHeadAttention) -> Dense",
            ),
            (
                "a constant [T, S] attention_mask (Keras 3's NumPy array)",
                [2, 3, 4],
                4,
                vec![self_attention(
                    "np_masked",
                    "d",
                    json!({"num_heads": 1, "key_dim": 3}),
                    json!({"attention_mask": {"class_name": "__numpy__", "config":
                        {"value": [[1, 0, 0], [1, 1, 0], [0, 1, 1]], "dtype": "int32"}}}),
                )],
                "np_masked (MultiHeadAttention) -> Dense",
            ),
        ];
        for (case, x_shape, units, attention, note) in cases {
            eprintln!("case: {case}");
            let mut layers = vec![dense("d", units, "x")];
            layers.extend(attention);
            assert_rewrites(&x_shape, layers, 13, 1e-5, note);
        }
    }

    #[test]
    fn attention_over_an_images_positions_runs_on_a_flattened_view() {
        // Self-attention over [H, W] of a [2, 3, 4, 5] feature map (Keras's
        // default axes, and the same given as (1, 2)), cross-attention to
        // another map of other size; a Dense head after it.
        for axes in [Value::Null, json!([1, 2])] {
            let layers = vec![
                dense("d", 6, "x"),
                self_attention(
                    "mha2d",
                    "d",
                    json!({"num_heads": 2, "key_dim": 3, "attention_axes": axes}),
                    json!({}),
                ),
                entry_on("pool", "MaxPooling2D", json!({"pool_size": [3, 2]}), "d"),
                entry(
                    "cross",
                    "MultiHeadAttention",
                    json!({"num_heads": 1, "key_dim": 2, "output_shape": 3}),
                    vec![keras2_call("mha2d", json!({"value": ["pool", 0, 0]}))],
                ),
            ];
            assert_rewrites(
                &[2, 3, 4, 5],
                layers,
                21,
                1e-5,
                "cross (MultiHeadAttention) -> Reshape",
            );
        }
        // Attention along one axis only is refused.
        let layers = vec![self_attention(
            "axial",
            "x",
            json!({"num_heads": 1, "key_dim": 2, "attention_axes": [2]}),
            json!({}),
        )];
        assert_refused(
            &functional(&[3, 4, 5], layers, 1),
            &["`axial` (MultiHeadAttention): attention_axes [2]"],
        );
    }

    #[test]
    fn returned_attention_scores_are_refused() {
        let layers = vec![self_attention(
            "mha",
            "x",
            json!({"num_heads": 1, "key_dim": 2}),
            json!({"return_attention_scores": true}),
        )];
        let model = functional(&[3, 4], layers, 13);
        assert_refused(
            &model,
            &["`mha` (MultiHeadAttention): return_attention_scores (a second output)"],
        );
    }

    #[test]
    fn attention_under_a_keras_mask_is_refused() {
        let layers = vec![
            entry_on(
                "emb",
                "Embedding",
                json!({"input_dim": 10, "output_dim": 4, "mask_zero": true}),
                "x",
            ),
            self_attention(
                "mha",
                "emb",
                json!({"num_heads": 1, "key_dim": 2}),
                json!({}),
            ),
        ];
        let model = functional(&[3], layers, 13);
        assert_refused(
            &model,
            &["`mha` (MultiHeadAttention): the model has Keras masks"],
        );
    }
}
