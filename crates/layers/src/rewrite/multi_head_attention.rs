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
//! Keras's AND of the masks. Keras masks of the query, value and key
//! (Keras 3 and tf_keras: `q_mask[:, :, None] & v_mask[:, None, :] &
//! k_mask[:, None, :]`) made by `Embedding(mask_zero=True)`s of the model
//! are computed from their ids: `Rescaling(1)` + `ReLU(max_value=1)` per
//! mask (`ids != 0`), `[T, 1]` / `[S, 1]` views (ones for an unmasked
//! side), `Dot` → the `[B, T, S]` 0/1 mask, its bias ANDed (`Minimum`)
//! with the others. Keras 3 replaces masked scores instead of adding to
//! them (the scores times the 0/1 mask, then the bias: a fully masked
//! query row is exactly uniform) and with `dropout > 0` zeroes the masked
//! weights after the softmax (`Multiply`). The output carries the query's
//! mask on in Keras; the rewrite needs every layer after it that applies
//! that mask to be rewritten from the ids too (masked average, GRU unroll,
//! attention). Other masks (`Masking`, `mask=`) are refused, and so is
//! `return_attention_scores` (a second output of the replaced layer).

use super::tf_op_lambda::tensor_ref;
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

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
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
    // Where the query, value and key are among the call's inputs.
    let slot = |name: &str, p: usize| {
        if positional > p {
            Some(p)
        } else {
            tensor_kwargs
                .iter()
                .position(|k| *k == name)
                .map(|i| positional + i)
        }
    };
    let query_at = slot("query", 0).ok_or("the call has no query tensor")?;
    let value_at = slot("value", 1).ok_or("the call has no value tensor")?;
    let key_at = slot("key", 2);
    let query = inputs[query_at].clone();
    let value = inputs[value_at].clone();
    let key = key_at.map_or_else(|| value.clone(), |k| inputs[k].clone());
    let keras_masks = keras_masks(site, [Some(query_at), Some(value_at), key_at])?;
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
        if attention_mask.is_some() || causal || constant_mask.is_some() || keras_masks.is_some() {
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
    let keras_mask = keras_masks
        .map(|ids| keras_mask_layers(site, [&query, &value], ids, &mut layers, &mut weights))
        .transpose()?;
    let bias = mask_bias(
        site,
        shapes,
        &query,
        (attention_mask, keras_mask),
        (causal, constant_mask.as_ref()),
        &mut layers,
        &mut weights,
    )?;
    // Keras 3 replaces the masked scores (`where(mask, scores, -big)`)
    // rather than adding to them: the scores times the 0/1 mask plus the
    // bias; with dropout (its `Softmax` layer's path) it then zeroes the
    // masked weights, so a row masked at every key is 0, not uniform.
    let keras3 = bias.is_some() && site.dialect.is_keras3();
    let zeroed = keras3 && site.field("dropout", Value::as_f64).unwrap_or(0.0) > 0.0;
    let keep = match (&bias, keras3) {
        (Some(b), true) => {
            let keep = format!("{name}_mask_keep");
            layers.push(entry(
                &keep,
                "Rescaling",
                json!({"scale": 1e-9, "offset": 1.0}),
                vec![json!([r(b)])],
            ));
            Some(keep)
        }
        _ => None,
    };
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
        let s = match &keep {
            Some(m) => add("kept_scores", "Multiply", json!({}), &[&s, m]),
            None => s,
        };
        let scores = match &bias {
            Some(b) => add("masked_scores", "Add", json!({}), &[&s, b]),
            None => s,
        };
        let p = add("softmax", "Softmax", json!({"axis": -1}), &[&scores]);
        let p = match (&keep, zeroed) {
            (Some(m), true) => add("kept_weights", "Multiply", json!({}), &[&p, m]),
            _ => p,
        };
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

/// The ids tensors whose zeros are the Keras masks of the query, value
/// and key (inputs `at` of the call; no key: the value's), made by
/// `Embedding(mask_zero)`s of the model; `None` when no Keras mask reaches
/// the layer. Other masks are refused, and so is a query mask Keras passes
/// on to layers that apply it which are not rewritten from the ids too.
pub(super) fn keras_masks(
    site: &Site<'_>,
    at: [Option<usize>; 3],
) -> Result<Option<[Option<Value>; 3]>, String> {
    let Some((shapes, call)) = site
        .shapes
        .and_then(|s| s.masked_calls.first().map(|c| (s, c)))
    else {
        return Ok(None);
    };
    let mut ids: [Option<Value>; 3] = Default::default();
    for ((role, i), out) in ["query", "value", "key"].iter().zip(at).zip(&mut ids) {
        let Some(i) = i else { continue };
        if call.masks.get(i).copied().flatten().is_none() {
            continue;
        }
        *out = Some(
            shapes
                .input_mask_ids
                .get(i)
                .cloned()
                .flatten()
                .ok_or_else(|| {
                    format!(
                        "a Keras mask reaches its {role} that no Embedding(mask_zero) of the \
                         model makes (Masking, or a mask given as mask=), which the attention \
                         would apply; TF.js layers cannot"
                    )
                })?,
        );
    }
    if ids.iter().all(Option::is_none) {
        return Ok(None);
    }
    if ids[0].is_some() && (at[0] != Some(0) || !shapes.mask_readers_unrolled) {
        return Err(
            "its output carries the query's Keras mask on to layers that apply it (a recurrent \
             layer, a Softmax, …) which TF.js would not get past the rewrite"
                .into(),
        );
    }
    Ok(Some(ids))
}

/// Keras's `[batch, T, S]` attention mask from the Keras masks of the
/// query (`ids[0]`), value and key as 0/1 layers: each mask is its ids
/// through `Rescaling(1)` (as float) + `ReLU(max_value=1)` (Keras's
/// `ids != 0` for the non-negative ids an Embedding takes), `[T, 1]` /
/// `[S, 1]` views (the value's and key's multiplied; an unmasked side is
/// ones: a zero-kernel `Dense(1)` with bias 1 of its tensor), and `Dot`
/// of the two: `q[:, :, None] & v[:, None, :]`, exact for 0/1. Returns
/// the `Dot`'s name.
fn keras_mask_layers(
    site: &Site<'_>,
    [query, value]: [&Value; 2],
    ids: [Option<Value>; 3],
    layers: &mut Vec<Value>,
    weights: &mut Vec<DecodedWeight>,
) -> Result<String, String> {
    let name = site.name;
    let r = |n: &str| json!([n, 0, 0, {}]);
    let shape = |i: usize| site.shapes.and_then(|s| s.inputs.get(i));
    let len = |i: usize| shape(i).and_then(|s| s.get(1).copied().flatten());
    let mut made: Vec<(Value, String)> = Vec::new();
    let mut mask_of = |ids: &Value, layers: &mut Vec<Value>| -> String {
        if let Some((_, m)) = made.iter().find(|(i, _)| i == ids) {
            return m.clone();
        }
        let tag = format!("{name}_keras_mask{}", made.len());
        layers.extend(super::site::mask_from_ids(&tag, ids));
        made.push((ids.clone(), tag.clone()));
        tag
    };
    // A `[steps, 1]` view of mask `m`, or ones of `tensor`'s steps.
    let mut column = |part: &str,
                      m: Option<String>,
                      tensor: &Value,
                      steps: Option<usize>,
                      features: Option<usize>,
                      layers: &mut Vec<Value>|
     -> Result<String, String> {
        let lname = format!("{name}_keras_mask_{part}");
        match m {
            Some(m) => {
                let steps = steps.map_or(json!(-1), |t| json!(t));
                layers.push(entry(
                    &lname,
                    "Reshape",
                    json!({"target_shape": [steps, 1]}),
                    vec![json!([r(&m)])],
                ));
            }
            None => {
                let d = features.ok_or(format!(
                    "a Keras mask with a {part} of unknown feature size"
                ))?;
                weights.push(f32_weight(
                    format!("{lname}/kernel"),
                    vec![d, 1],
                    vec![0.0; d],
                ));
                weights.push(f32_weight(format!("{lname}/bias"), vec![1], vec![1.0]));
                layers.push(entry(
                    &lname,
                    "Dense",
                    zero_dense(1, true),
                    vec![json!([tensor])],
                ));
            }
        }
        Ok(lname)
    };
    let [q_ids, v_ids, k_ids] = ids;
    let q = q_ids.map(|i| mask_of(&i, layers));
    let v = v_ids.map(|i| mask_of(&i, layers));
    let k = k_ids.map(|i| mask_of(&i, layers));
    let kv = match (v, k) {
        (Some(v), Some(k)) if v != k => {
            let both = format!("{name}_keras_mask_value_key");
            layers.push(entry(
                &both,
                "Multiply",
                json!({}),
                vec![json!([r(&v), r(&k)])],
            ));
            Some(both)
        }
        (Some(m), _) | (None, Some(m)) => Some(m),
        (None, None) => None,
    };
    let feat = |i: usize| shape(i).and_then(|s| s.get(2).copied().flatten());
    let rows = column("query", q, query, len(0), feat(0), layers)?;
    let cols = column("value", kv, value, len(1).or(len(0)), feat(1), layers)?;
    let m = format!("{name}_keras_mask");
    layers.push(entry(
        &m,
        "Dot",
        json!({"axes": [2, 2], "normalize": false}),
        vec![json!([r(&rows), r(&cols)])],
    ));
    Ok(m)
}

/// Keras's additive softmax mask `(1 - mask) * -1e9` for the scores
/// `[batch, T, S]`, as layers (see the module docs); `None` without masks.
fn mask_bias(
    site: &Site<'_>,
    shapes: &super::LayerShapes,
    query: &Value,
    masks: (Option<Value>, Option<String>),
    (causal, constant): (bool, Option<&crate::Tensor>),
    layers: &mut Vec<Value>,
    weights: &mut Vec<DecodedWeight>,
) -> Result<Option<String>, String> {
    let name = site.name;
    let r = |n: &str| json!([n, 0, 0, {}]);
    let mut mask_bias = None;
    let (attention_mask, keras_mask) = masks;
    if let Some(m) = keras_mask {
        let bias = format!("{name}_keras_mask_bias");
        layers.push(entry(
            &bias,
            "Rescaling",
            json!({"scale": 1e9, "offset": -1e9}),
            vec![json!([r(&m)])],
        ));
        mask_bias = Some(bias);
    }
    if let Some(m) = attention_mask {
        let bias = format!("{name}_mask_bias");
        layers.push(entry(
            &bias,
            "Rescaling",
            json!({"scale": 1e9, "offset": -1e9}),
            vec![json!([m])],
        ));
        mask_bias = Some(match mask_bias {
            None => bias,
            Some(k) => {
                // Keras ANDs the Keras masks with the given one.
                let both = format!("{name}_mask_bias_and_keras");
                layers.push(entry(
                    &both,
                    "Minimum",
                    json!({}),
                    vec![json!([r(&k), r(&bias)])],
                ));
                both
            }
        });
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

    /// Self-attention over `Embedding(mask_zero)` ids and cross-attention
    /// to a shorter masked sequence (the first four ids through their own
    /// Embedding), then `tail` on the output; rows of `x`: ids, one all
    /// padding.
    fn masked_text(version: &str, dropout: f64, tail: Vec<Value>) -> crate::Model {
        let emb = |name: &str, from: &str| {
            entry_on(
                name,
                "Embedding",
                json!({"input_dim": 8, "output_dim": 4, "mask_zero": true}),
                from,
            )
        };
        let mut layers = vec![
            emb("emb", "x"),
            entry_on("col", "Reshape", json!({"target_shape": [6, 1]}), "x"),
            entry_on("crop", "Cropping1D", json!({"cropping": [0, 2]}), "col"),
            entry_on("short", "Reshape", json!({"target_shape": [4]}), "crop"),
            emb("emb_v", "short"),
            self_attention(
                "self",
                "emb",
                json!({"num_heads": 2, "key_dim": 3, "dropout": dropout}),
                json!({}),
            ),
            entry(
                "cross",
                "MultiHeadAttention",
                json!({"num_heads": 1, "key_dim": 2, "dropout": dropout}),
                vec![keras3_call(json!([["self", 0, 0], ["emb_v", 0, 0]]))],
            ),
        ];
        layers.extend(tail);
        functional_from(&[6], layers, 13, Some(version))
    }

    #[test]
    fn attention_under_embedding_masks_gets_the_mask_from_the_ids() {
        // tf_keras adds -1e9 to the masked scores; Keras 3 replaces them
        // (a query masked at every key is uniform) and with dropout zeroes
        // the masked weights (such a query's context is 0). The second row
        // of `ids_with_a_padded_row(false)` is all padding, the fourth masks no value step.
        for (version, dropout) in [("2.21.0", 0.0), ("3.15.0", 0.0), ("3.15.0", 0.1)] {
            for pooled in [false, true] {
                let tail = if pooled {
                    vec![entry_on(
                        "gap",
                        "GlobalAveragePooling1D",
                        json!({}),
                        "cross",
                    )]
                } else {
                    Vec::new()
                };
                let model = masked_text(version, dropout, tail);
                let out = assert_same(&model, &ids_with_a_padded_row(pooled), 1e-5);
                assert_note(&out, "cross (MultiHeadAttention) -> Dense");
            }
        }
    }

    #[test]
    fn attention_under_other_masks_is_refused() {
        let layers = vec![
            entry_on("m", "Masking", json!({"mask_value": 0.0}), "x"),
            self_attention("mha", "m", json!({"num_heads": 1, "key_dim": 2}), json!({})),
        ];
        assert_refused(
            &functional(&[3, 4], layers, 13),
            &["`mha` (MultiHeadAttention): a Keras mask reaches its query that no Embedding"],
        );
        // An LSTM after it would read the query's mask, which TF.js does
        // not carry past the rewrite.
        let tail = vec![entry_on("lstm", "LSTM", json!({"units": 2}), "cross")];
        assert_refused(
            &masked_text("2.21.0", 0.0, tail),
            &["`cross` (MultiHeadAttention): its output carries the query's Keras mask"],
        );
    }
}
