//! Keras's `IntegerLookup` with a vocabulary (TensorFlow.js 4.22 has no
//! lookup layers) on integer tokens ([`super::integer_valued`]) → the
//! tokens as float32 (`Rescaling(1, 0)`) in a `[…, 1]` `Reshape`, their
//! hits on the vocabulary (and the mask token) as in [`super::one_hot`]:
//! `Minimum` of two `Dense(n, relu)` (`ReLU(t - v + 1)`, `ReLU(v - t +
//! 1)`), 1 where `t == v` and 0 elsewhere, then
//!
//! - `output_mode: "int"`: a `Dense(1)` of the hits with bias the OOV
//!   index and kernel each entry's index minus it (the mask token at 0,
//!   the vocabulary from `mask + num_oov_indices`), `Reshape`d to the
//!   input's shape (float indices, which an `Embedding` reads as Keras's);
//! - `one_hot` / `multi_hot` / `count`: a `Dense(depth)` of the hits with
//!   the OOV slot's bias 1 and weight -1 from every entry (the mask token
//!   adds nothing), each vocabulary slot's weight 1 from its entry (zeros
//!   up to `max_tokens` with `pad_to_max_tokens`), then per sample the
//!   one-hot row (`one_hot`, `multi_hot` / `count` of one token),
//!   `GlobalMaxPooling1D` over the tokens (`multi_hot`) or their sum as a
//!   `Dense(1)` of ones between `Permute`s (`count`).
//!
//! Every step adds and multiplies integers below 2²⁴ (checked for the
//! vocabulary), so the numbers are Keras's exactly. Refused by name:
//! `invert`, `tf_idf`, `sparse`, several OOV indices (Keras spreads
//! unknown tokens over them by `floormod` / FarmHash), a vocabulary that
//! is not a list of integers in the config, tokens that may be fractional.

use super::integer_valued::Kind;
use super::{entry, f32_weight, zero_dense, Outcome, Site};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "IntegerLookup" {
        return Outcome::Skip;
    }
    match rewrite(site) {
        Ok(out) => {
            site.note(
                "IntegerLookup as the tokens' hits on the vocabulary (Minimum of two \
                 Dense(relu)) and a Dense of them (exact for integers below 2^24)",
            );
            out
        }
        Err(why) => Outcome::Cannot(why),
    }
}

const EXACT: f64 = 16777216.0;

fn rewrite(site: &Site<'_>) -> Result<Outcome, String> {
    let c = site.config;
    if c.get("sparse").and_then(Value::as_bool) == Some(true) {
        return Err("sparse: true is not rewritten".into());
    }
    let l =
        crate::layers::lookup::IntegerLookup::layout_of(site.name, c).map_err(|e| e.to_string())?;
    if l.invert {
        return Err("invert: true (indices back to tokens) is not rewritten".into());
    }
    let mode = l.mode;
    if !matches!(mode, "int" | "one_hot" | "multi_hot" | "count") {
        return Err(format!("output_mode {mode:?} is not rewritten"));
    }
    let num_oov = l.num_oov;
    if num_oov > 1 || (num_oov == 1 && l.oov_farmhash) {
        return Err(format!(
            "num_oov_indices {num_oov}: Keras spreads unknown tokens over them by floormod / \
             FarmHash, which TF.js layers do not compute"
        ));
    }
    let integer = |t: i64| {
        if (t as f64).abs() < EXACT {
            Ok(t as f64)
        } else {
            Err(format!("the token {t} is not below 2^24 in magnitude"))
        }
    };
    let vocabulary: Vec<f64> = l
        .vocabulary
        .iter()
        .map(|&t| integer(t))
        .collect::<Result<_, _>>()?;
    let mask = l.mask_token.map(integer).transpose()?;
    if l.mask_token.is_some_and(|m| l.vocabulary.contains(&m)) {
        return Err("its mask token is also in its vocabulary".into());
    }
    let (mask_slot, first, depth) = (l.mask_slot, l.first, l.depth);
    match site
        .shapes
        .and_then(|s| s.integer_inputs.first().copied().flatten())
    {
        Some(Kind::Int | Kind::Bool) => {}
        None => {
            return Err(
                "its tokens may be fractional (only integer inputs, casts to integers and \
                 integer arithmetic of them are rewritten)"
                    .into(),
            )
        }
    }
    let dims = site.static_input()?;
    let (_, node) = site.first_input("outside a functional model")?;
    // Entries: the vocabulary, then the mask token.
    let mut entries = vocabulary.clone();
    entries.extend(mask);
    let n = entries.len();
    let name = site.name;
    let s = |part: &str| format!("{name}_{part}");
    let on = |from: &str| vec![json!([[from, 0, 0, {}]])];
    let (mut layers, mut weights) =
        super::one_hot::value_hits(name, node, &dims, &entries, &s("hits"));
    if mode == "int" {
        // OOV: index `mask_slot` (unknown tokens with no OOV index are an
        // error in Keras; 0 here).
        let oov = if num_oov == 1 {
            usize::from(mask_slot) as f32
        } else {
            0.0
        };
        let mut kernel: Vec<f32> = (0..vocabulary.len())
            .map(|i| (first + i) as f32 - oov)
            .collect();
        if mask.is_some() {
            kernel.push(-oov);
        }
        layers.push(entry(
            &s("index"),
            "Dense",
            zero_dense(1, true),
            on(&s("hits")),
        ));
        weights.push(f32_weight(
            format!("{}/kernel", s("index")),
            vec![n, 1],
            kernel,
        ));
        weights.push(f32_weight(
            format!("{}/bias", s("index")),
            vec![1],
            vec![oov],
        ));
        layers.push(entry(
            name,
            "Reshape",
            json!({ "target_shape": dims }),
            on(&s("index")),
        ));
        return Ok(Outcome::Replace { layers, weights });
    }
    // Encodings: per token, its slot's one-hot row.
    let mut kernel = vec![0f32; n * depth];
    for i in 0..vocabulary.len() {
        kernel[i * depth + first + i] = 1.0;
    }
    let mut bias = vec![0f32; depth];
    if num_oov == 1 {
        bias[0] = 1.0;
        for j in 0..n {
            kernel[j * depth] = -1.0;
        }
    }
    layers.push(entry(
        &s("slots"),
        "Dense",
        zero_dense(depth, true),
        on(&s("hits")),
    ));
    weights.push(f32_weight(
        format!("{}/kernel", s("slots")),
        vec![n, depth],
        kernel,
    ));
    weights.push(f32_weight(
        format!("{}/bias", s("slots")),
        vec![depth],
        bias,
    ));
    let tokens: usize = dims.iter().product();
    match (dims.as_slice(), mode) {
        // One token per sample: its row.
        ([] | [1], _) => layers.push(entry(
            name,
            "Reshape",
            json!({ "target_shape": [depth] }),
            on(&s("slots")),
        )),
        ([_], "multi_hot") => layers.push(entry(
            name,
            "GlobalMaxPooling1D",
            json!({"data_format": "channels_last", "keepdims": false}),
            on(&s("slots")),
        )),
        ([_], "count") => {
            layers.push(entry(
                &s("by_slot"),
                "Permute",
                json!({"dims": [2, 1]}),
                on(&s("slots")),
            ));
            layers.push(entry(
                &s("sum"),
                "Dense",
                zero_dense(1, false),
                on(&s("by_slot")),
            ));
            weights.push(f32_weight(
                format!("{}/kernel", s("sum")),
                vec![tokens, 1],
                vec![1.0; tokens],
            ));
            layers.push(entry(
                name,
                "Reshape",
                json!({ "target_shape": [depth] }),
                on(&s("sum")),
            ));
        }
        _ => {
            return Err(format!(
                "output_mode {mode:?} of an input of shape {dims:?} (per sample) is not rewritten"
            ))
        }
    }
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::rewrite_for_tfjs;
    use super::super::test_util::*;
    use crate::{LayerRegistry, LoadOptions, Model, Tensor};

    /// An `IntegerLookup(vocabulary=[3, 7, 11, 20], **config)` on an int32
    /// input of `width` tokens, rewritten and run on `tokens` (two rows).
    fn rewritten(config: serde_json::Value, width: usize, tokens: &[i32]) -> Vec<f32> {
        let mut config = config;
        config["vocabulary"] = json!([3, 7, 11, 20]);
        let topology = json!({"class_name": "Functional", "keras_version": "3.15.0",
            "config": {"name": "m", "layers": [
                {"name": "x", "class_name": "InputLayer", "inbound_nodes": [],
                 "config": {"batch_input_shape": [null, width], "dtype": "int32",
                            "sparse": false, "name": "x"}},
                entry_on("lk", "IntegerLookup", config, "x")],
            "input_layers": [["x", 0, 0]], "output_layers": [["lk", 0, 0]]}});
        let model = Model::from_topology(&topology, &LayerRegistry::with_builtins(), 1).unwrap();
        let out = rewrite_for_tfjs(&model).unwrap();
        assert_note(&out, "IntegerLookup as the tokens' hits");
        let back = Model::from_artifacts(&out.artifacts, &LoadOptions::default()).unwrap();
        let x = Tensor::from_i32(vec![2, width], tokens.to_vec()).unwrap();
        back.predict(&[x]).unwrap()[0].as_f32().unwrap().to_vec()
    }

    fn floats(v: &[i32]) -> Vec<f32> {
        v.iter().map(|&i| i as f32).collect()
    }

    /// From Keras 3.15, `v = [3, 7, 11, 20]`, `x = [[3, 5, 20, 0], [11, 0, 7, 7]]`:
    /// `IntegerLookup(vocabulary=v)(x)` → [[1, 0, 4, 0], [3, 0, 2, 2]];
    /// `mask_token=0` → [[2, 1, 5, 0], [4, 0, 3, 3]]; `output_mode='multi_hot'` →
    /// [[1, 1, 0, 0, 1], [1, 0, 1, 1, 0]]; `output_mode='count', mask_token=0` →
    /// [[1, 1, 0, 0, 1], [0, 0, 2, 1, 0]]; `multi_hot, max_tokens=7,
    /// pad_to_max_tokens=True` → [[1, 1, 0, 0, 1, 0, 0], [1, 0, 1, 1, 0, 0, 0]];
    /// `output_mode='one_hot'` of [[5], [20]] → [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]].
    #[test]
    fn integer_lookups_become_hits_and_dense() {
        let x = [3, 5, 20, 0, 11, 0, 7, 7];
        assert_eq!(
            rewritten(json!({}), 4, &x),
            floats(&[1, 0, 4, 0, 3, 0, 2, 2])
        );
        assert_eq!(
            rewritten(json!({"mask_token": 0}), 4, &x),
            floats(&[2, 1, 5, 0, 4, 0, 3, 3])
        );
        assert_eq!(
            rewritten(json!({"output_mode": "multi_hot"}), 4, &x),
            floats(&[1, 1, 0, 0, 1, 1, 0, 1, 1, 0])
        );
        assert_eq!(
            rewritten(json!({"output_mode": "count", "mask_token": 0}), 4, &x),
            floats(&[1, 1, 0, 0, 1, 0, 0, 2, 1, 0])
        );
        assert_eq!(
            rewritten(
                json!({"output_mode": "multi_hot", "max_tokens": 7, "pad_to_max_tokens": true}),
                4,
                &x
            ),
            floats(&[1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0])
        );
        assert_eq!(
            rewritten(json!({"output_mode": "one_hot"}), 1, &[5, 20]),
            floats(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        );
    }

    /// Several OOV indices, `invert` and fractional tokens are refused by name.
    #[test]
    fn lookups_without_an_exact_form_are_refused() {
        let layers = vec![entry_on(
            "lk",
            "IntegerLookup",
            json!({"vocabulary": [3, 7], "num_oov_indices": 2}),
            "x",
        )];
        assert_refused(
            &functional_from(&[4], layers, 1, Some("3.15.0")),
            &["`lk` (IntegerLookup): num_oov_indices 2"],
        );
        let layers = vec![entry_on(
            "lk",
            "IntegerLookup",
            json!({"vocabulary": [3, 7], "invert": true}),
            "x",
        )];
        assert_refused(
            &functional_from(&[4], layers, 1, Some("3.15.0")),
            &["`lk` (IntegerLookup): invert: true"],
        );
        let layers = vec![entry_on(
            "lk",
            "IntegerLookup",
            json!({"vocabulary": [3, 7]}),
            "x",
        )];
        assert_refused(
            &functional_from(&[4], layers, 1, Some("3.15.0")),
            &["`lk` (IntegerLookup): its tokens may be fractional"],
        );
    }
}
