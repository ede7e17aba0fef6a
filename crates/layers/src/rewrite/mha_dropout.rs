//! `MultiHeadAttention` between tf_keras and Keras 3 where a Keras mask
//! reaches it (an `Embedding(mask_zero)` or `Masking` before it) or an
//! `attention_mask` is given. Keras 3 with `dropout > 0`, or returning its
//! scores, runs the masked scores through its `Softmax` layer, which
//! multiplies the weights by the mask: a query row masked at every key (a
//! padded query position, a sequence of padding only) gets zero weights
//! and its output is the output projection's bias. tf_keras (and Keras 3
//! without dropout) give such a row uniform weights over every key.
//!
//! Dropout plays no part in prediction, so a tf_keras layer is written for
//! Keras 3 with `dropout: 0` (the same numbers). A Keras 3 layer that zeroes
//! those rows has no tf_keras equivalent: refused (found by exporting a
//! Keras 3 token tagger with a row of padding only to `.h5`: 0.088 off in
//! tf_keras on that row).

use super::{Outcome, Site, Target};
use serde_json::Value;

/// The rule (Keras exports).
pub fn keras_rule(site: &Site<'_>) -> Outcome {
    if site.class_name != "MultiHeadAttention" || site.target == Target::Tfjs {
        return Outcome::Skip;
    }
    let from_keras3 = site.dialect.is_keras3();
    if from_keras3 == site.target.dialect().is_keras3() {
        return Outcome::Skip;
    }
    let mut kwargs = Vec::new();
    call_kwargs(site.inbound_nodes.unwrap_or_default(), &mut kwargs);
    let attention_mask = kwargs
        .iter()
        .any(|k| k.get("attention_mask").is_some_and(Value::is_array));
    let masked = attention_mask || site.shapes.is_some_and(|s| !s.masked_calls.is_empty());
    if !masked {
        return Outcome::Skip;
    }
    let dropout = site.field("dropout", Value::as_f64).unwrap_or(0.0);
    let scores = kwargs.iter().any(|k| {
        k.get("return_attention_scores")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    });
    const WHY: &str = "Keras 3 gives a query row masked at every key (a padded position, a \
                       sequence of padding only) zero attention weights, so its output is the \
                       output projection's bias, while tf_keras gives it uniform weights";
    match (from_keras3, dropout > 0.0, scores) {
        (true, true, _) | (true, _, true) | (false, _, true) => Outcome::Cannot(format!(
            "a mask reaches it and it {} ({WHY}); {} cannot express that",
            if scores {
                "returns its attention scores"
            } else {
                "has dropout > 0"
            },
            site.target.name()
        )),
        (false, true, false) => {
            site.note(format!(
                "{} (MultiHeadAttention): written with dropout 0 (no part in prediction; Keras \
                 3's dropout path would zero the weights of a fully masked query row)",
                crate::error::printable(site.name)
            ));
            let weights = site.weights.iter().map(|w| (*w).clone()).collect();
            site.as_one(
                "MultiHeadAttention",
                site.config_with("dropout", Value::from(0.0)),
                weights,
            )
        }
        _ => Outcome::Skip,
    }
}

/// Every keyword-argument object of a layer's inbound nodes (the fourth
/// element of a tensor reference `[layer, node, index, kwargs]`).
fn call_kwargs<'v>(nodes: &'v [Value], out: &mut Vec<&'v serde_json::Map<String, Value>>) {
    for v in nodes {
        match v {
            Value::Array(a) => {
                if let [Value::String(_), n, i, Value::Object(k), ..] = a.as_slice() {
                    if n.is_u64() && i.is_u64() {
                        out.push(k);
                        continue;
                    }
                }
                call_kwargs(a, out);
            }
            Value::Object(m) => m
                .values()
                .for_each(|x| call_kwargs(std::slice::from_ref(x), out)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{rewrite_for, Target};
    use crate::dialect::{KERAS3_VERSION, TF_KERAS_VERSION};

    /// `Embedding(mask_zero)` → `MultiHeadAttention(dropout)` self-attention
    /// → `Add` → `Dense`: a token tagger, as Keras `version` saved it.
    fn tagger(version: &str, dropout: f64) -> crate::Model {
        let layers = vec![
            mask_zero_embedding("emb", "x"),
            entry(
                "mha",
                "MultiHeadAttention",
                json!({"num_heads": 2, "key_dim": 2, "dropout": dropout}),
                vec![json!([["emb", 0, 0, {"value": ["emb", 0, 0]}]])],
            ),
            entry(
                "res",
                "Add",
                json!({}),
                vec![json!([["emb", 0, 0, {}], ["mha", 0, 0, {}]])],
            ),
            dense("tags", 3, "res"),
        ];
        functional_from(&[6], layers, 7, Some(version))
    }

    /// `artifacts` read as Keras `version` saved them.
    fn read_as(artifacts: &tfjs_format::ModelArtifacts, version: &str) -> crate::Model {
        let mut topology = artifacts.model_topology.clone().unwrap();
        topology["keras_version"] = json!(version);
        let artifacts = tfjs_format::ModelArtifacts {
            model_topology: Some(topology),
            ..artifacts.clone()
        };
        crate::Model::from_artifacts(&artifacts, &crate::LoadOptions::default()).unwrap()
    }

    fn predict(model: &crate::Model) -> Vec<f32> {
        let x = ids_with_a_padded_row(false);
        model.predict(std::slice::from_ref(&x)).unwrap()[0]
            .as_f32()
            .unwrap()
            .to_vec()
    }

    #[test]
    fn keras3_dropout_zeroing_is_refused_for_tf_keras() {
        let k3 = tagger(KERAS3_VERSION, 0.1);
        let err = rewrite_for(&k3, Target::TfKeras).unwrap_err().to_string();
        assert!(
            err.contains("`mha` (MultiHeadAttention): a mask reaches it and it has dropout > 0"),
            "{err}"
        );
        // The engine computes the difference: Keras 3's masked query
        // positions (padding) attend to nothing, tf_keras's to every key;
        // the other positions agree.
        let k2 = read_as(&k3.to_artifacts().unwrap(), TF_KERAS_VERSION);
        let (zeroed, uniform) = (predict(&k3), predict(&k2));
        let differs: Vec<bool> = zeroed
            .chunks(3)
            .zip(uniform.chunks(3))
            .map(|(a, b)| a.iter().zip(b).any(|(p, q)| (p - q).abs() > 1e-4))
            .collect();
        let padding: Vec<bool> = ids_with_a_padded_row(false)
            .as_f32()
            .unwrap()
            .iter()
            .map(|&id| id == 0.0)
            .collect();
        assert_eq!(differs, padding);
        // Without dropout Keras 3's weights are uniform too: exported.
        rewrite_for(&tagger(KERAS3_VERSION, 0.0), Target::TfKeras).unwrap();
    }

    #[test]
    fn tf_keras_dropout_is_written_as_zero_for_keras3() {
        let k2 = tagger(TF_KERAS_VERSION, 0.25);
        let out = rewrite_for(&k2, Target::Keras3).unwrap();
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(layer_named(topology, "mha")["config"]["dropout"], 0.0);
        assert_note(&out, "written with dropout 0");
        // Keras 3 reading the export computes tf_keras's numbers; reading
        // the layer as it was, it would not.
        let back = read_as(&out.artifacts, KERAS3_VERSION);
        assert_ne!(
            predict(&read_as(&k2.to_artifacts().unwrap(), KERAS3_VERSION)),
            predict(&k2)
        );
        assert_eq!(predict(&back), predict(&k2));
        // Kept as it is for tf_keras.
        let out = rewrite_for(&k2, Target::TfKeras).unwrap();
        assert!(out.notes.is_empty(), "{:?}", out.notes);
    }
}
