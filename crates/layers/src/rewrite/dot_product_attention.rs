//! Keras 3's `ops.nn.dot_product_attention(query, key, value, scale,
//! is_causal)` (`ops.DotProductAttention`) on `[batch, steps, heads,
//! head_dim]` tensors: TensorFlow.js 4.22 has no such layer, and its `Dot`
//! takes rank-3 tensors. One branch per head, as the `MultiHeadAttention`
//! rewrite builds them (`multi_head_attention.rs`):
//!
//! ```text
//! q_n = Reshape([T, H])(Cropping2D(head n)(query))     (key and value alike)
//! s_n = Rescaling(scale)(Dot(axes=[2, 2])([q_n, k_n]))  scale: 1/sqrt(H) by default
//! c_n = Dot(axes=[2, 1])([Softmax(-1)(s_n), v_n])
//! out = Reshape([T, heads, Hv])(Concatenate(-1)([c_0, …]))
//! ```
//!
//! which is Keras's TensorFlow backend (`einsum`, times the scale, softmax,
//! `einsum`) one head at a time; with fewer key/value heads, query head
//! `n` reads key/value head `n / (heads / kv_heads)`, as Keras repeats
//! them. `is_causal` adds the constant `[T, S]` bias of
//! `multi_head_attention.rs` (0 where key step `s ≤ t`, Keras's own
//! large negative elsewhere) to the scaled scores: where Keras puts that
//! large negative, the sum is it (for scores far below 1e31 in size), and
//! both softmaxes give those steps exactly 0. The bias is computed from the
//! query by a zero-kernel `Dense`, exact for finite inputs. `bias` and
//! `mask` tensors, a logits soft cap and flash attention are refused.

use super::multi_head_attention::causal_bias_layers;
use super::{concatenate_entry, entry, entry_on, Outcome, Site};
use crate::layers::keras3_ops::DOT_ATTENTION_MASKED;
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "ops.DotProductAttention" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "dot_product_attention (no TensorFlow.js 4.22 layer) and no per-head \
             Dot/Softmax rewrite: {why}"
        ))
    })
}

/// A tensor argument `[layer, node, index]` as an inbound-node entry.
fn tensor(v: &Value) -> Option<Value> {
    let a = v.as_array()?;
    (a.len() >= 3 && a[0].is_string() && a[1].is_u64() && a[2].is_u64())
        .then(|| json!([a[0], a[1], a[2], {}]))
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let c = site.config;
    let set = |v: Option<&Value>| v.is_some_and(|v| !v.is_null() && *v != json!(false));
    if set(c.get("attn_logits_soft_cap")) {
        return Err("a logits soft cap".into());
    }
    if set(c.get("flash_attention")) {
        return Err("flash attention".into());
    }
    let node = site.single_call("a layer outside a functional model")?;
    let kwargs = node
        .pointer("/0/3")
        .and_then(Value::as_object)
        .ok_or("its arguments are not recorded")?;
    for k in ["bias", "mask"] {
        if set(kwargs.get(k)) {
            return Err(format!("a {k} tensor"));
        }
    }
    let args = kwargs
        .get("_args")
        .and_then(Value::as_array)
        .ok_or("its arguments are not recorded")?;
    if args.len() != 3 {
        return Err(format!(
            "{} positional arguments (query, key and value are rewritten)",
            args.len()
        ));
    }
    let [q, k, v] = [0, 1, 2].map(|i| tensor(&args[i]));
    let (Some(q), Some(k), Some(v)) = (q, k, v) else {
        return Err("query, key and value are not all tensors".into());
    };
    let shapes = site.shapes.ok_or("its input shapes are unknown")?;
    let dims = |i: usize| -> Result<[usize; 3], String> {
        let s = shapes.inputs.get(i).ok_or("its input shapes are unknown")?;
        match s.as_slice() {
            [_, Some(a), Some(b), Some(c)] => Ok([*a, *b, *c]),
            _ => Err(format!(
                "input {i} of shape {s:?} is not a static [batch, steps, heads, head_dim]"
            )),
        }
    };
    let ([t, heads, hd], [s, kv_heads, khd], [vs, vheads, vd]) = (dims(0)?, dims(1)?, dims(2)?);
    if khd != hd || vs != s || vheads != kv_heads || kv_heads == 0 || heads % kv_heads != 0 {
        return Err("query/key/value shapes that do not fit together".into());
    }
    let group = heads / kv_heads;
    let scale = match kwargs.get("scale") {
        None | Some(Value::Null) => 1.0 / (hd as f32).sqrt(),
        Some(x) => x.as_f64().ok_or("scale is not a number")? as f32,
    };
    let causal = c.get("is_causal").and_then(Value::as_bool) == Some(true);
    let name = site.name;
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    // Head `h` of tensor `x` ([steps, count, dim]) as `[batch, steps, dim]`.
    let mut head = |part: &str, x: &Value, h: usize, [steps, count, dim]: [usize; 3]| {
        let out = format!("{name}_{part}_{h}");
        let mut from = json!([x]);
        if count > 1 {
            let cropped = format!("{out}_cropped");
            layers.push(entry(
                &cropped,
                "Cropping2D",
                json!({"cropping": [[0, 0], [h, count - h - 1]], "data_format": "channels_last"}),
                vec![from],
            ));
            from = json!([[cropped, 0, 0, {}]]);
        }
        layers.push(entry(
            &out,
            "Reshape",
            json!({"target_shape": [steps, dim]}),
            vec![from],
        ));
        out
    };
    let queries: Vec<String> = (0..heads)
        .map(|h| head("query", &q, h, [t, heads, hd]))
        .collect();
    let keys: Vec<String> = (0..kv_heads)
        .map(|h| head("key", &k, h, [s, kv_heads, hd]))
        .collect();
    let values: Vec<String> = (0..kv_heads)
        .map(|h| head("value", &v, h, [s, kv_heads, vd]))
        .collect();
    let bias = if causal {
        let query = json!([queries[0], 0, 0, {}]);
        Some(causal_bias_layers(
            name,
            &query,
            [t, s, hd],
            DOT_ATTENTION_MASKED,
            &mut layers,
            &mut weights,
        )?)
    } else {
        None
    };
    let mut contexts = Vec::new();
    for (h, qh) in queries.iter().enumerate() {
        let pair = |a: &str, b: &str| vec![json!([[a, 0, 0, {}], [b, 0, 0, {}]])];
        let [scores, scaled, masked, probs, context] =
            ["scores", "scaled", "masked", "softmax", "context"].map(|p| format!("{name}_{p}_{h}"));
        layers.push(entry(
            &scores,
            "Dot",
            json!({"axes": [2, 2], "normalize": false}),
            pair(qh, &keys[h / group]),
        ));
        layers.push(entry_on(
            &scaled,
            "Rescaling",
            json!({"scale": f64::from(scale), "offset": 0.0}),
            &scores,
        ));
        let mut logits = scaled;
        if let Some(b) = &bias {
            layers.push(entry(&masked, "Add", json!({}), pair(&logits, b)));
            logits = masked;
        }
        layers.push(entry_on(&probs, "Softmax", json!({"axis": -1}), &logits));
        layers.push(entry(
            &context,
            "Dot",
            json!({"axes": [2, 1], "normalize": false}),
            pair(&probs, &values[h / group]),
        ));
        contexts.push(context);
    }
    let joined = if heads == 1 {
        contexts[0].clone()
    } else {
        let cat = format!("{name}_heads");
        let inputs = contexts.iter().map(|n| json!([n, 0, 0, {}])).collect();
        layers.push(concatenate_entry(&cat, -1, inputs));
        cat
    };
    layers.push(entry_on(
        name,
        "Reshape",
        json!({"target_shape": [t, heads, vd]}),
        &joined,
    ));
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::probes::op;
    use super::super::test_util::*;
    use serde_json::Value;

    /// `ops.DotProductAttention` of `q`, `k`, `v` with `config` and the
    /// call's `scale`.
    fn attention(name: &str, config: Value, [q, k, v]: [&str; 3], scale: Value) -> Value {
        let mut layer = op(
            name,
            "DotProductAttention",
            config,
            json!([[q, 0, 0], [k, 0, 0], [v, 0, 0]]),
        );
        layer["inbound_nodes"][0][0][3]["scale"] = scale;
        layer["inbound_nodes"][0][0][3]["bias"] = Value::Null;
        layer
    }

    #[test]
    fn dot_product_attention_becomes_dot_softmax_dot_per_head() {
        // k3_dot_attention's calls: plain, scaled, causal (5 query steps
        // over 6 key steps), 4 query heads over 2 key/value heads.
        let projections = |heads: usize| {
            vec![
                dense("wq", 3 * heads, "x"),
                entry_on("q", "Reshape", json!({"target_shape": [6, heads, 3]}), "wq"),
                dense("wk", 6, "x"),
                entry_on("k", "Reshape", json!({"target_shape": [6, 2, 3]}), "wk"),
                dense("wv", 4, "x"),
                entry_on("v", "Reshape", json!({"target_shape": [6, 2, 2]}), "wv"),
            ]
        };
        for (heads, config, scale, note) in [
            (
                2,
                json!({"is_causal": false}),
                Value::Null,
                "att (ops.DotProductAttention) -> Cropping2D + Reshape",
            ),
            (2, json!({"is_causal": false}), json!(0.3), "Rescaling"),
            (
                2,
                json!({"is_causal": true}),
                Value::Null,
                "GlobalMaxPooling1D",
            ),
            (4, json!({"is_causal": false}), Value::Null, "Concatenate"),
            (1, json!({"is_causal": true}), Value::Null, "Softmax"),
        ] {
            let mut layers = projections(heads);
            if heads == 1 {
                // One head of each.
                layers[3] = entry_on("k", "Reshape", json!({"target_shape": [6, 1, 6]}), "wk");
                layers[5] = entry_on("v", "Reshape", json!({"target_shape": [6, 1, 4]}), "wv");
                layers[1] = entry_on("q", "Reshape", json!({"target_shape": [6, 1, 6]}), "wq");
                layers[0] = dense("wq", 6, "x");
            }
            layers.push(attention("att", config, ["q", "k", "v"], scale));
            assert_rewrites(&[2, 6, 5], layers, 17, 1e-5, note);
        }
    }
}
