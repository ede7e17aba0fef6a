//! Keras's `Attention` (Luong dot-product attention; TensorFlow.js 4.22
//! has no such layer) with `score_mode: "dot"`, no mask and no causal
//! mask → `Dot(axes [2, 2])` of query and key (the scores), `Rescaling` by
//! the learned `scale` with `use_scale`, `Softmax` over the last axis and
//! `Dot(axes [2, 1])` of the weights and the value: Keras's
//! `softmax(scale · q·kᵀ)·v`, the same operations in the same order.
//! Masks (Keras masks in the model, `mask`/`use_causal_mask` call
//! arguments), `score_mode: "concat"` and returned attention scores are
//! refused.

use super::{entry, entry_on, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Attention" {
        return Outcome::Skip;
    }
    rewrite(site).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "TensorFlow.js 4.22 has no Attention layer and the Dot/Softmax rewrite does not \
             cover {why}"
        ))
    })
}

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let c = site.config;
    let mode = c.get("score_mode").and_then(Value::as_str).unwrap_or("dot");
    if mode != "dot" {
        return Err(format!("score_mode {mode:?}"));
    }
    if c.get("causal").and_then(Value::as_bool) == Some(true) {
        return Err("causal: true".into());
    }
    if site.masks_possible {
        return Err("Keras masks (the model has Masking or Embedding mask_zero)".into());
    }
    let node = site.single_call("a layer outside a functional model")?;
    let inputs = node.as_array().ok_or("a call without inputs")?;
    let (query, value, key) = match inputs.as_slice() {
        [q, v] => (q, v, v),
        [q, v, k] => (q, v, k),
        _ => return Err(format!("a call with {} inputs", inputs.len())),
    };
    for input in inputs {
        if let Some(Value::Object(kwargs)) = input.get(3) {
            for (k, v) in kwargs {
                let off = v.is_null() || *v == json!(false);
                if matches!(
                    k.as_str(),
                    "mask" | "use_causal_mask" | "return_attention_scores"
                ) && !off
                {
                    return Err(format!("the call argument {k}"));
                }
            }
        }
    }
    let plain = |t: &Value| -> Value {
        let mut t = t.as_array().cloned().unwrap_or_default();
        t.truncate(3);
        t.push(json!({}));
        Value::Array(t)
    };
    let name = site.name;
    let [scores, scaled, weights] =
        ["scores", "scaled_scores", "weights"].map(|s| format!("{name}_{s}"));
    let mut layers = vec![entry(
        &scores,
        "Dot",
        json!({"axes": [2, 2], "normalize": false}),
        vec![json!([plain(query), plain(key)])],
    )];
    let mut last = scores;
    if c.get("use_scale").and_then(Value::as_bool) == Some(true) {
        let (shape, v) = site.f32_weight("scale")?;
        let [scale] = v else {
            return Err(format!("a scale of shape {shape:?}"));
        };
        layers.push(entry_on(
            &scaled,
            "Rescaling",
            json!({"scale": scale, "offset": 0.0}),
            &last,
        ));
        last = scaled;
    }
    layers.extend([
        entry_on(&weights, "Softmax", json!({"axis": -1}), &last),
        entry(
            name,
            "Dot",
            json!({"axes": [2, 1], "normalize": false}),
            vec![json!([[weights, 0, 0, {}], plain(value)])],
        ),
    ]);
    Ok(Outcome::weightless(layers))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn dot_attention_becomes_dot_softmax_dot() {
        for (use_scale, inputs, note) in [
            (
                false,
                json!([["x", 0, 0, {}], ["k", 0, 0, {}]]),
                "att (Attention) -> Dot + Softmax + Dot",
            ),
            (
                true,
                json!([["x", 0, 0, {}], ["v", 0, 0, {}], ["k", 0, 0, {}]]),
                "att (Attention) -> Dot + Rescaling + Softmax + Dot",
            ),
        ] {
            let layers = vec![
                dense("v", 4, "x"),
                dense("k", 3, "x"),
                entry(
                    "att",
                    "Attention",
                    json!({"use_scale": use_scale, "score_mode": "dot"}),
                    vec![inputs],
                ),
            ];
            assert_rewrites(&[2, 5, 3], layers, 7, 1e-5, note);
        }
        let layers = vec![entry_on_all(
            "att",
            "Attention",
            json!({"score_mode": "concat"}),
            &["x", "x"],
        )];
        let model = functional(&[5, 3], layers, 7);
        assert_refused(&model, &["`att` (Attention): TensorFlow.js 4.22 has no Attention layer and the Dot/Softmax rewrite does not cover score_mode \"concat\""]);
    }
}
