//! Keras's `Attention` (Luong dot-product attention; TensorFlow.js 4.22
//! has no such layer) with `score_mode: "dot"`, no mask and no causal
//! mask → `Dot(axes [2, 2])` of query and key (the scores), `Rescaling` by
//! the learned `scale` with `use_scale`, `Softmax` over the last axis and
//! `Dot(axes [2, 1])` of the weights and the value: Keras's
//! `softmax(scale · q·kᵀ)·v`, the same operations in the same order.
//! A value mask given as `mask=[None, m]` with `m` a tensor of the
//! model's (a padding mask fed as an input; [`value_mask_rule`], asked
//! before [`super::explicit_masks`] refuses the call) adds Keras's bias to
//! the scores: `Reshape` of `m` to `[1, Tv]` + `Rescaling(1e9, -1e9)` (0
//! where kept, -1e9 where masked: Keras's `scores - 1e9 · (1 - m)`
//! exactly) + `Add` before the `Softmax`. Other masks (Keras masks in the
//! model, a query mask, `use_causal_mask`), `score_mode: "concat"` and
//! returned attention scores are refused.

use super::{entry, entry_on, entry_on_all, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Attention" {
        return Outcome::Skip;
    }
    rewrite(site, None).unwrap_or_else(refusal)
}

/// The rule for an `Attention` call given `mask=[None, m]`, `m` a tensor
/// of the model's: rewritten with `m` as a score bias; any other call is
/// left to the other rules.
pub fn value_mask_rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "Attention" || site.target != super::Target::Tfjs {
        return Outcome::Skip;
    }
    let Some(mask) = value_mask(site) else {
        return Outcome::Skip;
    };
    rewrite(site, Some(mask)).unwrap_or_else(refusal)
}

fn refusal(why: String) -> Outcome {
    Outcome::Cannot(format!(
        "TensorFlow.js 4.22 has no Attention layer and the Dot/Softmax rewrite does not cover \
         {why}"
    ))
}

/// The value mask `m` of a call given `mask=[None, m]` (the same on every
/// input's kwargs), `m` a `[layer, node, tensor]` reference.
fn value_mask(site: &Site<'_>) -> Option<Value> {
    let [node] = site.inbound_nodes? else {
        return None;
    };
    let mask = node.as_array()?.first()?.get(3)?.get("mask")?;
    match mask.as_array()?.as_slice() {
        [q, v]
            if q.is_null()
                && v.as_array()
                    .is_some_and(|r| r.len() >= 3 && r[0].is_string()) =>
        {
            Some(v.clone())
        }
        _ => None,
    }
}

fn rewrite(site: &Site<'_>, value_mask: Option<Value>) -> Result<Outcome, String> {
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
                    && !(k == "mask" && value_mask.is_some())
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
    if let Some(m) = value_mask {
        // [batch, Tv] → [batch, 1, Tv], broadcast over the queries.
        let tv = site
            .shapes
            .and_then(|s| s.inputs.get(1))
            .and_then(|v| v.get(1).copied().flatten())
            .ok_or("a value mask over value steps of unknown count")?;
        let step = |s: &str| format!("{name}_{s}");
        let (row, bias, masked) = (step("mask_row"), step("mask_bias"), step("masked_scores"));
        let reshape = json!({ "target_shape": [1, tv] });
        layers.push(entry(&row, "Reshape", reshape, vec![json!([plain(&m)])]));
        let to_bias = json!({"scale": 1e9, "offset": -1e9});
        layers.push(entry_on(&bias, "Rescaling", to_bias, &row));
        layers.push(entry_on_all(&masked, "Add", json!({}), &[&last, &bias]));
        last = masked;
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

    #[test]
    fn a_value_mask_input_becomes_a_score_bias() {
        // `Attention()([q, v], mask=[None, valid])`, `valid` a boolean input.
        let input_of = super::super::test_util::input;
        let call = |t: &str| json!([t, 0, 0, {"mask": [null, ["valid", 0, 0]]}]);
        let input = |name: &str, shape: serde_json::Value, dtype: &str| {
            json!({"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                   "config": {"name": name, "batch_input_shape": shape, "dtype": dtype}})
        };
        let topology = json!({"class_name": "Functional", "config": {
            "name": "m",
            "layers": [
                input("q", json!([null, 3, 2]), "float32"),
                input("v", json!([null, 4, 2]), "float32"),
                input("valid", json!([null, 4]), "bool"),
                {"class_name": "Attention", "name": "att", "config": {"name": "att"},
                 "inbound_nodes": [[call("q"), call("v")]]}
            ],
            "input_layers": [["q", 0, 0], ["v", 0, 0], ["valid", 0, 0]],
            "output_layers": [["att", 0, 0]]}});
        let model =
            crate::Model::from_topology(&topology, &crate::LayerRegistry::with_builtins(), 1)
                .unwrap();
        let out = super::super::rewrite_for_tfjs(&model).unwrap();
        assert_note(
            &out,
            "att (Attention) -> Dot + Reshape + Rescaling + Add + Softmax + Dot",
        );
        let rebuilt = crate::Model::from_artifacts(&out.artifacts, &Default::default()).unwrap();
        let valid =
            crate::Tensor::from_f32(vec![2, 4], vec![1., 0., 1., 1., 1., 1., 0., 0.]).unwrap();
        let inputs = [input_of(&[2, 3, 2]), input_of(&[2, 4, 2]), valid];
        let want = model.predict(&inputs).unwrap();
        let got = rebuilt.predict(&inputs).unwrap();
        let (w, g) = (want[0].to_f32(), got[0].to_f32());
        assert!(
            w.iter().zip(g.iter()).all(|(a, b)| (a - b).abs() < 1e-6),
            "{w:?} vs {g:?}"
        );
    }
}
