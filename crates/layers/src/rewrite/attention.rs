//! Keras's `Attention` (Luong attention) and `AdditiveAttention` (Bahdanau
//! attention; TensorFlow.js 4.22 has neither layer) without masks → the
//! scores, `Softmax` over the last axis and `Dot(axes [2, 1])` of the
//! weights and the value: Keras's `softmax(scores)·v`, the same operations
//! in the same order.
//!
//! The scores of `Attention` with `score_mode: "dot"` are `Dot(axes [2,
//! 2])` of query and key, times the learned `scale` with `use_scale`
//! (`Rescaling`). Additive scores, `AdditiveAttention`'s
//! `Σ_d scale_d · tanh(q_d + k_d)` and `Attention` with `score_mode:
//! "concat"`'s `w · Σ_d tanh(scale · (q_d + k_d))`, add every query step
//! to every key step: the query as `[Tq, 1, D]` and the key as `[1, Tv,
//! D]` (`Reshape`), each repeated along its unit axis by a nearest
//! `UpSampling2D` to `[Tq, Tv, D]`, `Add`, `Activation("tanh")`, and the
//! weighted sum over `D` as a bias-free `Dense(1)` whose kernel is `scale`
//! (ones without it) then `Reshape` to `[Tq, Tv]`; `Rescaling` applies the
//! scalar `scale` and `concat_score_weight` of the concat mode. These need
//! the query and key lengths and the feature size to be static.
//!
//! A value mask given as `mask=[None, m]` with `m` a tensor of the
//! model's (a padding mask fed as an input; [`value_mask_rule`], asked
//! before [`super::explicit_masks`] refuses the call) adds Keras's bias to
//! the scores: `Reshape` of `m` to `[1, Tv]` + `Rescaling(1e9, -1e9)` (0
//! where kept, -1e9 where masked: Keras's `scores - 1e9 · (1 - m)`
//! exactly) + `Add` before the `Softmax`.
//!
//! Keras masks made by `Embedding(mask_zero=True)`s of the model (Keras 3
//! and tf_keras alike: the value's mask on the scores as `scores - 1e9`
//! where masked, the query's zeroing the output rows; the key's ignored)
//! are computed from their ids as [`super::multi_head_attention`] does:
//! `Rescaling(1)` + `ReLU(max_value=1)` per ids tensor (`ids != 0`), the
//! value's as the score bias above, the query's as a `[Tq, 1]` `Reshape`
//! multiplying (`Multiply`) the context. The output carries the query's
//! mask on in Keras; every later layer applying it must be rewritten from
//! the ids too. In a model making Keras masks the softmax is an
//! `Activation("softmax")` (TF.js's `Softmax` layer would apply a stale
//! mask its executor leaves). Other masks (`Masking`, `mask=` in a model
//! making Keras masks), `use_causal_mask` and returned attention scores
//! are refused.

use super::site::{f32_weight, zero_dense};
use super::{entry, entry_on, entry_on_all, Outcome, Site};
use serde_json::{json, Value};
use tfjs_format::codec::DecodedWeight;

/// The layers this module rewrites.
fn is_attention(class_name: &str) -> bool {
    matches!(class_name, "Attention" | "AdditiveAttention")
}

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if !is_attention(site.class_name) {
        return Outcome::Skip;
    }
    rewrite(site, None).unwrap_or_else(|why| refusal(site, why))
}

/// The rule for an `Attention` call given `mask=[None, m]`, `m` a tensor
/// of the model's: rewritten with `m` as a score bias; any other call is
/// left to the other rules.
pub fn value_mask_rule(site: &Site<'_>) -> Outcome {
    if !is_attention(site.class_name) || site.target != super::Target::Tfjs {
        return Outcome::Skip;
    }
    let Some(mask) = value_mask(site) else {
        return Outcome::Skip;
    };
    rewrite(site, Some(mask)).unwrap_or_else(|why| refusal(site, why))
}

fn refusal(site: &Site<'_>, why: String) -> Outcome {
    Outcome::Cannot(format!(
        "TensorFlow.js 4.22 has no {} layer and the Dot/Softmax rewrite does not cover {why}",
        site.class_name
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

/// How the scores are computed.
#[derive(Clone, Copy, PartialEq)]
enum Scores {
    /// `Attention`, `score_mode: "dot"`.
    Dot,
    /// `Attention`, `score_mode: "concat"`.
    Concat,
    /// `AdditiveAttention`.
    Additive,
}

fn rewrite(site: &Site<'_>, value_mask: Option<Value>) -> Result<Outcome, String> {
    let c = site.config;
    let scores_by = match (site.class_name, c.get("score_mode").and_then(Value::as_str)) {
        ("AdditiveAttention", _) => Scores::Additive,
        (_, None | Some("dot")) => Scores::Dot,
        (_, Some("concat")) => Scores::Concat,
        (_, Some(mode)) => return Err(format!("score_mode {mode:?}")),
    };
    if c.get("causal").and_then(Value::as_bool) == Some(true) {
        return Err("causal: true".into());
    }
    // The Keras masks of the query and the value (Keras ignores the
    // key's), from the ids of the `Embedding(mask_zero)`s making them.
    let keras_masks = match (site.masks_possible, site.shapes) {
        (false, _) => None,
        (true, None) => {
            return Err("Keras masks (the model has Masking or Embedding mask_zero)".into())
        }
        (true, Some(_)) if value_mask.is_some() => {
            return Err("a mask= given in a model that makes Keras masks".into())
        }
        (true, Some(_)) => {
            super::multi_head_attention::keras_masks(site, [Some(0), Some(1), None])?
        }
    };
    let [query_ids, value_ids, _] = keras_masks.unwrap_or_default();
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
    let use_scale = c.get("use_scale").and_then(Value::as_bool) == Some(true);
    let scalar = |weight: &str| -> Result<f32, String> {
        match site.f32_weight(weight)? {
            (_, [v]) => Ok(*v),
            (shape, _) => Err(format!("a {weight} of shape {shape:?}")),
        }
    };
    let step = |s: &str| format!("{name}_{s}");
    let mut layers = Vec::new();
    let mut weights = Vec::new();
    let mut last = step("scores");
    if scores_by == Scores::Dot {
        layers.push(entry(
            &last,
            "Dot",
            json!({"axes": [2, 2], "normalize": false}),
            vec![json!([plain(query), plain(key)])],
        ));
        if use_scale {
            let scaled = step("scaled_scores");
            let scale = scalar("scale")?;
            layers.push(entry_on(&scaled, "Rescaling", rescale(scale), &last));
            last = scaled;
        }
    } else {
        let key_index = if inputs.len() == 3 { 2 } else { 1 };
        let dims = |i: usize| -> Option<(usize, usize)> {
            let shape = site.shapes?.inputs.get(i)?;
            match shape.as_slice() {
                [_, Some(t), Some(d)] => Some((*t, *d)),
                _ => None,
            }
        };
        let ((tq, d), (tv, dk)) = dims(0)
            .zip(dims(key_index))
            .ok_or("additive scores of query or key steps or features of unknown count")?;
        if d != dk {
            return Err(format!("a query of {d} features and a key of {dk}"));
        }
        // Σ_d scale_d · tanh(·)_d as Dense(1): `scale` (AdditiveAttention's
        // vector) or ones.
        let kernel = match (scores_by, use_scale) {
            (Scores::Additive, true) => match site.f32_weight("scale")? {
                (_, v) if v.len() == d => v.to_vec(),
                (shape, _) => return Err(format!("a scale of shape {shape:?} for {d} features")),
            },
            _ => vec![1.0; d],
        };
        additive_scores(
            name,
            [plain(query), plain(key)],
            [tq, tv, d],
            kernel,
            (scores_by == Scores::Concat && use_scale)
                .then(|| scalar("scale"))
                .transpose()?,
            &mut layers,
            &mut weights,
        );
        if scores_by == Scores::Concat {
            let weighted = step("weighted_scores");
            let w = scalar("concat_score_weight")?;
            layers.push(entry_on(&weighted, "Rescaling", rescale(w), &last));
            last = weighted;
        }
    }
    // The 0/1 Keras masks, one per ids tensor.
    let mut made: Vec<(Value, String)> = Vec::new();
    let mut mask_of = |ids: &Value, layers: &mut Vec<Value>| -> Value {
        if let Some((_, m)) = made.iter().find(|(i, _)| i == ids) {
            return json!([m, 0, 0, {}]);
        }
        let tag = step(&format!("keras_mask{}", made.len()));
        let as_float = format!("{tag}_ids");
        layers.push(entry(
            &as_float,
            "Rescaling",
            json!({"scale": 1.0, "offset": 0.0}),
            vec![json!([ids])],
        ));
        let relu = json!({"max_value": 1.0, "negative_slope": 0.0, "threshold": 0.0});
        layers.push(entry_on(&tag, "ReLU", relu, &as_float));
        made.push((ids.clone(), tag.clone()));
        json!([tag, 0, 0, {}])
    };
    let value_mask = match value_ids {
        Some(ids) => Some(mask_of(&ids, &mut layers)),
        None => value_mask,
    };
    if let Some(m) = value_mask {
        // [batch, Tv] → [batch, 1, Tv], broadcast over the queries.
        let tv = site
            .shapes
            .and_then(|s| s.inputs.get(1))
            .and_then(|v| v.get(1).copied().flatten())
            .ok_or("a value mask over value steps of unknown count")?;
        let (row, bias, masked) = (step("mask_row"), step("mask_bias"), step("masked_scores"));
        let reshape = json!({ "target_shape": [1, tv] });
        layers.push(entry(&row, "Reshape", reshape, vec![json!([plain(&m)])]));
        let to_bias = json!({"scale": 1e9, "offset": -1e9});
        layers.push(entry_on(&bias, "Rescaling", to_bias, &row));
        layers.push(entry_on_all(&masked, "Add", json!({}), &[&last, &bias]));
        last = masked;
    }
    let softmax = step("weights");
    // TF.js's `Softmax` layer would apply the mask its executor leaves
    // for every later call (see [`super::softmax_mask_leak`]).
    layers.push(if site.masks_possible {
        entry_on(
            &softmax,
            "Activation",
            json!({"activation": "softmax"}),
            &last,
        )
    } else {
        entry_on(&softmax, "Softmax", json!({"axis": -1}), &last)
    });
    let context = json!({"axes": [2, 1], "normalize": false});
    let context_inputs = vec![json!([[softmax, 0, 0, {}], plain(value)])];
    match query_ids {
        None => layers.push(entry(name, "Dot", context, context_inputs)),
        Some(ids) => {
            // Keras zeroes the rows of masked query steps: the context
            // times the query's 0/1 mask as `[Tq, 1]`.
            let m = mask_of(&ids, &mut layers);
            let tq = site
                .shapes
                .and_then(|s| s.inputs.first())
                .and_then(|q| q.get(1).copied().flatten())
                .map_or(json!(-1), |t| json!(t));
            let (ctx, column) = (step("context"), step("query_mask_column"));
            layers.extend([
                entry(&ctx, "Dot", context, context_inputs),
                entry(
                    &column,
                    "Reshape",
                    json!({ "target_shape": [tq, 1] }),
                    vec![json!([m])],
                ),
                entry_on_all(name, "Multiply", json!({}), &[&ctx, &column]),
            ]);
        }
    }
    Ok(Outcome::Replace { layers, weights })
}

fn rescale(scale: f32) -> Value {
    json!({"scale": scale, "offset": 0.0})
}

/// The `[batch, Tq, Tv]` additive scores `<name>_scores` of `query` and
/// `key`: `Σ_d kernel_d · tanh(scale · (q_d + k_d))` (see the module docs).
#[allow(clippy::too_many_arguments)]
fn additive_scores(
    name: &str,
    [query, key]: [Value; 2],
    [tq, tv, d]: [usize; 3],
    kernel: Vec<f32>,
    scale: Option<f32>,
    layers: &mut Vec<Value>,
    weights: &mut Vec<DecodedWeight>,
) {
    let step = |s: &str| format!("{name}_{s}");
    let (q_view, q_rows, k_view, k_rows) = (
        step("query_view"),
        step("query_rows"),
        step("key_view"),
        step("key_rows"),
    );
    let up = |size: [usize; 2]| json!({"size": size, "interpolation": "nearest", "data_format": "channels_last"});
    layers.extend([
        entry(
            &q_view,
            "Reshape",
            json!({"target_shape": [tq, 1, d]}),
            vec![json!([query])],
        ),
        entry_on(&q_rows, "UpSampling2D", up([1, tv]), &q_view),
        entry(
            &k_view,
            "Reshape",
            json!({"target_shape": [1, tv, d]}),
            vec![json!([key])],
        ),
        entry_on(&k_rows, "UpSampling2D", up([tq, 1]), &k_view),
    ]);
    let mut last = step("sums");
    layers.push(entry_on_all(&last, "Add", json!({}), &[&q_rows, &k_rows]));
    if let Some(scale) = scale {
        let scaled = step("scaled_sums");
        layers.push(entry_on(&scaled, "Rescaling", rescale(scale), &last));
        last = scaled;
    }
    let (tanh, dense) = (step("tanh"), step("score_sum"));
    layers.extend([
        entry_on(&tanh, "Activation", json!({"activation": "tanh"}), &last),
        entry_on(&dense, "Dense", zero_dense(1, false), &tanh),
        entry_on(
            &step("scores"),
            "Reshape",
            json!({"target_shape": [tq, tv]}),
            &dense,
        ),
    ]);
    weights.push(f32_weight(format!("{dense}/kernel"), vec![d, 1], kernel));
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::Model;
    use serde_json::Value;

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
        let scores = json!({"return_attention_scores": true});
        let layers = vec![entry(
            "att",
            "Attention",
            json!({"score_mode": "concat"}),
            vec![json!([["x", 0, 0, scores], ["x", 0, 0, scores]])],
        )];
        let model = functional(&[5, 3], layers, 7);
        assert_refused(&model, &["`att` (Attention): TensorFlow.js 4.22 has no Attention layer and the Dot/Softmax rewrite does not cover the call argument return_attention_scores"]);
    }

    #[test]
    fn additive_and_concat_attention_become_tiled_sums() {
        // Query x [5, 3], key k [5, 3] (Dense of x), value v [5, 4].
        let additive = "att (AdditiveAttention) -> Reshape + UpSampling2D + Reshape + \
                        UpSampling2D + Add + Activation + Dense + Reshape + Softmax + Dot";
        let concat = "att (Attention) -> Reshape + UpSampling2D + Reshape + UpSampling2D + Add + \
                      Activation + Dense + Reshape + Rescaling + Softmax + Dot";
        let concat_scaled = "att (Attention) -> Reshape + UpSampling2D + Reshape + UpSampling2D \
                             + Add + Rescaling + Activation + Dense + Reshape + Rescaling + \
                             Softmax + Dot";
        for (class, config, inputs, note) in [
            (
                "AdditiveAttention",
                json!({"use_scale": true}),
                json!([["x", 0, 0, {}], ["v", 0, 0, {}], ["k", 0, 0, {}]]),
                additive,
            ),
            (
                "AdditiveAttention",
                json!({"use_scale": false}),
                json!([["x", 0, 0, {}], ["k", 0, 0, {}]]),
                additive,
            ),
            (
                "Attention",
                json!({"use_scale": false, "score_mode": "concat"}),
                json!([["x", 0, 0, {}], ["v", 0, 0, {}], ["k", 0, 0, {}]]),
                concat,
            ),
            (
                "Attention",
                json!({"use_scale": true, "score_mode": "concat"}),
                json!([["x", 0, 0, {}], ["v", 0, 0, {}], ["k", 0, 0, {}]]),
                concat_scaled,
            ),
        ] {
            // AdditiveAttention's `scale` has the query's (Keras 3) or the
            // value's (tf_keras) feature count: the same where Keras runs.
            let layers = vec![
                dense("v", 3, "x"),
                dense("k", 3, "x"),
                entry("att", class, config, vec![inputs]),
            ];
            assert_rewrites(&[2, 5, 3], layers, 11, 1e-5, note);
        }
        // Query and key of different lengths: 5 query steps, 2 key steps.
        let layers = vec![
            entry(
                "kv",
                "Reshape",
                json!({"target_shape": [3, 5]}),
                vec![json!([["x", 0, 0, {}]])],
            ),
            dense("k", 3, "kv"),
            entry(
                "att",
                "AdditiveAttention",
                json!({"use_scale": true}),
                vec![json!([["x", 0, 0, {}], ["k", 0, 0, {}]])],
            ),
        ];
        assert_rewrites(&[2, 5, 3], layers, 12, 1e-5, additive);
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

    /// `att` (`class`, `config`) of the query `q` over the value `v` (and
    /// key `k`), under the Keras masks of `Embedding(mask_zero)`s of the
    /// ids `x` [6] (the value the first four ids through their own
    /// Embedding), then `tail`.
    fn masked(version: &str, class: &str, config: Value, call: Value, tail: Vec<Value>) -> Model {
        let emb = |name: &str, from: &str| {
            entry_on(
                name,
                "Embedding",
                json!({"input_dim": 8, "output_dim": 3, "mask_zero": true}),
                from,
            )
        };
        let mut layers = vec![
            emb("emb", "x"),
            entry_on("col", "Reshape", json!({"target_shape": [6, 1]}), "x"),
            entry_on("crop", "Cropping1D", json!({"cropping": [0, 2]}), "col"),
            entry_on("short", "Reshape", json!({"target_shape": [4]}), "crop"),
            emb("emb_v", "short"),
            dense("k", 3, "emb_v"),
            dense("plain", 3, "crop"),
            entry("att", class, config, vec![call]),
        ];
        layers.extend(tail);
        functional_from(&[6], layers, 17, Some(version))
    }

    #[test]
    fn attention_under_embedding_masks_gets_the_masks_from_the_ids() {
        // Keras (3 and tf_keras): the value's mask subtracts 1e9 from the
        // scores, the query's zeroes the output rows, the key's is
        // ignored. Self-attention, cross-attention over a shorter masked
        // sequence with a key, a masked query over an unmasked value and
        // the other way round; with and without a masked average after.
        let r = |t: &str| json!([t, 0, 0, {}]);
        let calls = [
            json!([r("emb"), r("emb")]),
            json!([r("emb"), r("emb_v"), r("k")]),
            json!([r("emb"), r("plain")]),
            json!([r("plain"), r("emb_v")]),
        ];
        for version in ["2.21.0", "3.15.0"] {
            for (class, config) in [
                ("Attention", json!({"use_scale": true, "score_mode": "dot"})),
                (
                    "Attention",
                    json!({"use_scale": false, "score_mode": "concat"}),
                ),
                ("AdditiveAttention", json!({"use_scale": true})),
            ] {
                for call in &calls {
                    for pooled in [false, true] {
                        let tail = if pooled {
                            vec![entry_on("gap", "GlobalAveragePooling1D", json!({}), "att")]
                        } else {
                            Vec::new()
                        };
                        let model = masked(version, class, config.clone(), call.clone(), tail);
                        let out = assert_same(&model, &ids_with_a_padded_row(pooled), 1e-5);
                        assert_note(&out, &format!("att ({class}) -> "));
                        let topology = out.artifacts.model_topology.as_ref().unwrap();
                        assert!(
                            !topology.to_string().contains("\"Softmax\""),
                            "a Softmax layer in a masked model"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn attention_under_other_masks_is_refused() {
        let r = |t: &str| json!([t, 0, 0, {}]);
        let layers = vec![
            entry_on("m", "Masking", json!({"mask_value": 0.0}), "x"),
            entry("att", "Attention", json!({}), vec![json!([r("m"), r("m")])]),
        ];
        assert_refused(
            &functional(&[3, 4], layers, 13),
            &[
                "`att` (Attention): TensorFlow.js 4.22 has no Attention layer and the Dot/Softmax \
               rewrite does not cover a Keras mask reaches its query that no Embedding",
            ],
        );
        // An LSTM after it would read the query's mask, which TF.js does
        // not carry past the rewrite.
        let tail = vec![entry_on("lstm", "LSTM", json!({"units": 2}), "att")];
        let call = json!([r("emb"), r("emb")]);
        assert_refused(
            &masked("2.21.0", "AdditiveAttention", json!({}), call, tail),
            &[
                "`att` (AdditiveAttention): TensorFlow.js 4.22 has no AdditiveAttention layer and \
               the Dot/Softmax rewrite does not cover its output carries the query's Keras mask",
            ],
        );
    }
}
