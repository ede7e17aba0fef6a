//! Calls given `mask=` a tensor of the model's own (`LSTM(8)(x, mask=m)`
//! with `m` a boolean `Input` or a comparison's output), which the engine
//! applies as Keras does, are refused for TensorFlow.js: TF.js 4.22 loads
//! such a call with its recorded kwargs handed to `layer.apply` as written
//! (the mask as a `[layer, node, tensor]` list, not a tensor), and its
//! executor (`tfjs-layers/src/engine/executor.ts`, `execute`) calls each
//! layer with the masks propagated to its inputs only, never with a node's
//! recorded kwargs: the layer would run unmasked (or under another mask)
//! and compute other numbers. Keras exports keep the call as it is
//! (tf_keras and Keras 3 read `mask=` back). The exception: a mask the
//! engine finds to be an `Embedding(mask_zero)`'s own (Keras 3 records it
//! as `ops.not_equal(ids, 0)` and `logical_or`s of it) given to a layer
//! rewritten from that Embedding's ids (a masked average), which then
//! reads neither the mask's tensor nor TF.js's.

use super::{LayerShapes, Outcome, Site, Target};

/// Whether a layer of `class_name` with `nodes` calls, given an explicit
/// mask, is rewritten from the ids of the `Embedding(mask_zero)` that
/// computes the same mask (the engine finds its mask to be that
/// Embedding's: [`LayerShapes::mask_ids`]; Keras 3 records the mask= of
/// its own masks as `ops.not_equal(ids, 0)` and `ops.logical_or`s of it): a
/// `GlobalAveragePooling1D` ([`super::masked_average`]). Its rewrite does
/// not read the mask's tensor, and TF.js's mask does not matter to it.
pub fn rewritten_from_ids(class_name: &str, nodes: usize, shapes: Option<&LayerShapes>) -> bool {
    class_name == "GlobalAveragePooling1D"
        && nodes == 1
        && shapes.is_some_and(|s| s.mask_ids.is_some())
}

/// The rule: refuses, for TF.js, a layer with a call given an explicit
/// mask, naming where the mask comes from.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.target != Target::Tfjs {
        return Outcome::Skip;
    }
    let nodes = site.inbound_nodes.map_or(0, <[_]>::len);
    if rewritten_from_ids(site.class_name, nodes, site.shapes) {
        return Outcome::Skip;
    }
    for node in site.inbound_nodes.into_iter().flatten() {
        let Some(kwargs) = node
            .as_array()
            .and_then(|refs| refs.first())
            .and_then(|r| r.get(3))
        else {
            continue;
        };
        let Some(found) = crate::topology::explicit_mask_refs(site.class_name, kwargs) else {
            continue;
        };
        let from = match found {
            Ok(refs) => refs
                .iter()
                .flatten()
                .map(|r| format!("`{}`", crate::error::printable(&r.layer)))
                .collect::<Vec<_>>()
                .join(", "),
            Err(why) => why,
        };
        return Outcome::Cannot(format!("{WHY} (here the output of {from})"));
    }
    Outcome::Skip
}

/// Why TensorFlow.js computes otherwise.
pub const WHY: &str = "called with mask= a tensor of the model's own, which TensorFlow.js 4.22's \
     executor does not pass to the layer (it passes only the masks layers propagate), so the \
     layer would run under another mask";

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::{LayerRegistry, Model};
    use serde_json::Value;

    /// What Keras 3.15 saves for `keras.io`'s text classifier with a
    /// transformer block: the ids' `Embedding(mask_zero)`, a
    /// `MultiHeadAttention` (which removes its inputs' masks when it runs,
    /// so Keras uses the masks it recorded as calls' `mask=`), the residual
    /// `Add` and a `GlobalAveragePooling1D` given `mask=` the
    /// `logical_or` of `not_equal(ids, ne_value)` with itself (Keras 3
    /// records the mask an `Add` of two tensors carrying it makes so), a
    /// `Dense` on the pool, and `add_reader` (a class and its config), when
    /// given, reading the `Add` as a second output.
    fn keras3_classifier(ne_value: i64, add_reader: Option<(&str, Value)>) -> Model {
        let t = |l: &str, shape: Value| {
            json!({"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [l, 0, 0]}})
        };
        let seq = || json!([null, 6, 4]);
        let node = |args: Value, kwargs: Value| json!([{"args": args, "kwargs": kwargs}]);
        let mut layers = vec![
            json!({"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
                   "config": {"batch_shape": [null, 6], "dtype": "int32", "name": "x"}}),
            json!({"class_name": "Embedding", "name": "emb",
                   "config": {"name": "emb", "trainable": true, "input_dim": 8, "output_dim": 4, "mask_zero": true},
                   "inbound_nodes": node(json!([t("x", json!([null, 6]))]), json!({}))}),
            json!({"class_name": "MultiHeadAttention", "name": "mha",
                   "config": {"name": "mha", "trainable": true, "num_heads": 2, "key_dim": 2},
                   "inbound_nodes": node(json!([t("emb", seq()), t("emb", seq())]), json!({}))}),
            json!({"class_name": "Add", "name": "add", "config": {"name": "add", "trainable": true},
                   "inbound_nodes": node(json!([[t("emb", seq()), t("mha", seq())]]), json!({}))}),
            json!({"class_name": "LayerNormalization", "name": "ln",
                   "config": {"name": "ln", "trainable": true, "axis": -1, "epsilon": 1e-6},
                   "inbound_nodes": node(json!([t("add", seq())]), json!({}))}),
            json!({"class_name": "NotEqual", "name": "ne", "config": {"name": "ne"},
                   "inbound_nodes": node(json!([t("x", json!([null, 6])), ne_value]), json!({}))}),
            json!({"class_name": "LogicalOr", "name": "or", "config": {"name": "or"},
                   "inbound_nodes": node(json!([t("ne", json!([null, 6])), t("ne", json!([null, 6]))]), json!({}))}),
            json!({"class_name": "GlobalAveragePooling1D", "name": "pool",
                   "config": {"name": "pool", "trainable": true, "data_format": "channels_last", "keepdims": false},
                   "inbound_nodes": node(json!([t("ln", seq())]), json!({"mask": t("or", json!([null, 6]))}))}),
            json!({"class_name": "Dense", "name": "out", "config": {"name": "out", "trainable": true, "units": 3},
                   "inbound_nodes": node(json!([t("pool", json!([null, 4]))]), json!({}))}),
        ];
        let mut outputs = json!([["out", 0, 0]]);
        if let Some((class, config)) = add_reader {
            let mut config = config;
            config["name"] = json!("reader");
            config["trainable"] = json!(true);
            layers.push(
                json!({"class_name": class, "name": "reader", "config": config,
                   "inbound_nodes": node(json!([t("add", seq())]), json!({}))}),
            );
            outputs = json!([["out", 0, 0], ["reader", 0, 0]]);
        }
        let topology = json!({"class_name": "Functional", "keras_version": "3.15.1",
            "config": {"name": "m", "layers": layers,
                       "input_layers": [["x", 0, 0]], "output_layers": outputs}});
        Model::from_topology(&topology, &LayerRegistry::with_builtins(), 5).unwrap()
    }

    /// A `mask=` computed as `Embedding(mask_zero)` computes its mask
    /// (`not_equal(ids, 0)`, `logical_or`s of it) is that Embedding's
    /// mask: the masked average is rewritten from the ids (the mask's
    /// operations dropped), and the residual `Add` before it, whose output
    /// mask differs (its query input lost its mask in the attention), is
    /// rebuilt where nothing after it computes with masks.
    #[test]
    fn an_embedding_mask_given_as_mask_is_rewritten_from_the_ids() {
        let model = keras3_classifier(0, None);
        let out = assert_same(&model, &padded_ids(), 1e-5);
        assert_note(&out, "pool (GlobalAveragePooling1D) -> Rescaling");
        assert_note(&out, "ne (ops.NotEqual) dropped");
        assert_note(&out, "or (ops.LogicalOr) dropped");
        // Another comparison (`ids != 1`) is the user's mask: refused.
        assert_refused(
            &keras3_classifier(1, None),
            &[
                "`pool` (GlobalAveragePooling1D)",
                "mask= a tensor",
                "the output of `or`",
            ],
        );
        // An LSTM reading the Add: Keras 3 runs it unmasked (the Add's
        // inputs carry one mask and none: no mask), TF.js would hand it
        // the mask; the Add stays refused.
        let read = keras3_classifier(0, Some(("LSTM", json!({"units": 2}))));
        assert_refused(&read, &["`add` (Add): its inputs carry different masks"]);
    }

    #[test]
    fn a_call_given_an_explicit_mask_is_refused_for_tfjs() {
        // `LSTM(2)(x, mask=m)` as tf_keras saves it: the mask on the call's
        // kwargs; Keras 3's form reads the same (see `topology`).
        let topology = json!({"class_name": "Functional", "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "x",
                 "config": {"name": "x", "batch_input_shape": [null, 3, 2], "dtype": "float32"},
                 "inbound_nodes": []},
                {"class_name": "InputLayer", "name": "keep",
                 "config": {"name": "keep", "batch_input_shape": [null, 3], "dtype": "bool"},
                 "inbound_nodes": []},
                {"class_name": "LSTM", "name": "lstm", "config": {"name": "lstm", "units": 2},
                 "inbound_nodes": [[["x", 0, 0, {"mask": ["keep", 0, 0]}]]]}
            ],
            "input_layers": [["x", 0, 0], ["keep", 0, 0]],
            "output_layers": [["lstm", 0, 0]]}});
        let model = Model::from_topology(&topology, &LayerRegistry::with_builtins(), 1).unwrap();
        assert_refused(
            &model,
            &["`lstm` (LSTM)", "mask= a tensor", "the output of `keep`"],
        );
    }
}
