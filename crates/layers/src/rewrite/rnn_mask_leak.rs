//! Recurrent layers no Keras mask reaches, in a model that makes masks →
//! the same layer reading its sequence through `Masking(mask_value =
//! -FLT_MAX)`, which keeps every step (a step is masked only when all its
//! features are exactly -3.4028235e38) and so gives the layer an all-ones
//! mask.
//!
//! TensorFlow.js 4.22's executor keeps one keyword-argument object for the
//! whole `predict` and sets its `mask` at every call whose input carries
//! one, never clearing it ([`super::softmax_mask_leak`]): a recurrent
//! layer run after a masked call, whose own input has no mask, is handed
//! that stale mask and skips the steps it marks. Found by loading a rebuilt
//! `Embedding(mask_zero)` → `LSTM` → `RepeatVector` → `LSTM` model in real
//! TF.js (errors of 5e-3 at the padded steps' positions). A sequence with
//! a mask of its own replaces the stale one at that call.

use serde_json::{json, Value};
use tfjs_format::topology::{layer_entry_class, layer_entry_name};

/// The classes whose TF.js `call` reads the executor's `mask` argument
/// (`RNN.call`; `Bidirectional` passes it to both directions).
pub const READS_MASK: &[&str] = &["Bidirectional", "GRU", "LSTM", "RNN", "SimpleRNN"];

/// `-FLT_MAX`: no real sequence has a step of nothing else.
const NEVER: f64 = -3.4028234663852886e38;

/// Whether the source Keras runs this recurrent layer's masked calls
/// unmasked, so that TensorFlow.js must run it unmasked too: Keras 3 hands
/// a mask only to a call with one tensor argument, so a masked sequence
/// given initial states runs every step
/// ([`crate::Dialect::initial_state_drops_mask`]). Such a layer reads its
/// sequence through the keep-every-step `Masking` like an unmasked one
/// (one call only: the guard is wired into that call), and is rebuilt only
/// when the mask its output carries in Keras (the sequence's, with
/// `return_sequences`) is read by no later layer that computes with it:
/// TF.js's output carries the guard's mask instead.
pub fn runs_unmasked(
    dialect: crate::Dialect,
    class: &str,
    config: &serde_json::Map<String, Value>,
    calls: usize,
    shapes: &super::LayerShapes,
) -> bool {
    let inner = config
        .get("layer")
        .and_then(|l| l.get("config"))
        .and_then(Value::as_object)
        .unwrap_or(config);
    let sequences = inner.get("return_sequences").and_then(Value::as_bool) == Some(true);
    dialect.initial_state_drops_mask()
        && READS_MASK.contains(&class)
        && calls == 1
        && !shapes.masked_calls.is_empty()
        && shapes.masked_calls.iter().all(|c| c.masks.len() > 1)
        && (!sequences || shapes.output_mask_unread)
}

/// Inserts the `Masking` before each unmasked (`masked(name)` false)
/// recurrent entry among one model's `layers` (functional: its first
/// input rewired; Sequential: the entry placed before it). A note per
/// layer.
pub fn rewrite(layers: &mut Vec<Value>, masked: impl Fn(&str) -> bool) -> Vec<String> {
    let mut notes = Vec::new();
    let mut out = Vec::with_capacity(layers.len());
    for mut l in std::mem::take(layers) {
        let name = layer_entry_name(&l).unwrap_or("").to_string();
        if !READS_MASK.contains(&layer_entry_class(&l)) || masked(&name) {
            out.push(l);
            continue;
        }
        let guard = format!("{name}_unmasked");
        let mut config = json!({"name": guard, "trainable": true, "mask_value": NEVER});
        let functional = l.get("inbound_nodes").is_some();
        if functional {
            // One call on a sequence: read it through the guard.
            let first = l.pointer("/inbound_nodes/0/0").cloned();
            let single = l["inbound_nodes"].as_array().is_some_and(|n| n.len() == 1);
            let Some(first) = first.filter(|f| f.is_array() && single) else {
                out.push(l);
                continue;
            };
            let mut plain = first.as_array().cloned().unwrap_or_default();
            plain.truncate(3);
            plain.push(json!({}));
            out.push(
                json!({"name": guard, "class_name": "Masking", "config": config,
                            "inbound_nodes": [[plain]]}),
            );
            l["inbound_nodes"][0][0][0] = json!(guard);
            l["inbound_nodes"][0][0][1] = json!(0);
            l["inbound_nodes"][0][0][2] = json!(0);
        } else {
            // Sequential: the first layer keeps the model's input shape.
            if out.is_empty() {
                out.push(l);
                continue;
            }
            config["dtype"] = json!("float32");
            out.push(json!({"class_name": "Masking", "config": config}));
        }
        notes.push(format!(
            "{} ({}) reads its sequence through a Masking that keeps every step (Keras runs it \
             unmasked; TensorFlow.js 4.22's executor would hand it a mask)",
            crate::error::printable(&name),
            layer_entry_class(&l)
        ));
        out.push(l);
    }
    *layers = out;
    notes
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn an_unmasked_rnn_after_a_masked_one_reads_through_a_keep_all_masking() {
        let layers = vec![
            mask_zero_embedding("emb", "x"),
            entry_on("enc", "LSTM", json!({"units": 4}), "emb"),
            entry_on("rep", "RepeatVector", json!({"n": 5}), "enc"),
            entry_on(
                "dec",
                "LSTM",
                json!({"units": 3, "return_sequences": true}),
                "rep",
            ),
        ];
        let model = functional(&[5], layers, 2);
        let ids = [3., 1., 0., 0., 0., 2., 7., 5., 5., 1.];
        let x = crate::Tensor::from_f32(vec![2, 5], ids.to_vec()).unwrap();
        let out = assert_same(&model, &x, 1e-6);
        assert_note(&out, "dec (LSTM) reads its sequence through a Masking");
        let t = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(layer_named(t, "dec_unmasked")["class_name"], "Masking");
        // The masked encoder reads its own mask.
        assert!(t.to_string().find("enc_unmasked").is_none());
    }

    /// The init-inject captioner: Embedding(mask_zero) → LSTM started
    /// from two Dense states of the ids, then `reader` on its sequence.
    fn init_inject(reader: serde_json::Value, version: &str) -> crate::Model {
        let layers = vec![
            mask_zero_embedding("emb", "x"),
            entry_on("h0", "Dense", json!({"units": 4}), "x"),
            entry_on("c0", "Dense", json!({"units": 4}), "x"),
            entry(
                "dec",
                "LSTM",
                json!({"units": 4, "return_sequences": true, "activation": "tanh",
                       "recurrent_activation": "sigmoid"}),
                vec![json!([
                    ["emb", 0, 0, {}],
                    ["h0", 0, 0, {}],
                    ["c0", 0, 0, {}]
                ])],
            ),
            reader,
        ];
        functional_from(&[6], layers, 3, Some(version))
    }

    #[test]
    fn a_keras3_rnn_given_initial_states_on_a_masked_sequence_runs_unmasked() {
        // Keras 3 hands a mask only to a call with one tensor argument;
        // tf_keras (and TF.js) mask the steps.
        let td = json!({"layer": {"class_name": "Dense", "config": {"units": 2}}});
        let reader = entry_on("td", "TimeDistributed", td, "dec");
        let out = assert_same(&init_inject(reader.clone(), "3.15.0"), &padded_ids(), 1e-6);
        assert_note(&out, "dec (LSTM) reads its sequence through a Masking");
        let out = assert_same(&init_inject(reader, "2.21.0"), &padded_ids(), 1e-6);
        let t = out.artifacts.model_topology.as_ref().unwrap();
        assert!(t.to_string().find("dec_unmasked").is_none());
        // Keras 3's output still carries the sequence's mask, which a later
        // LSTM computes with: TF.js's would carry the guard's.
        let lstm = entry_on("l2", "LSTM", json!({"units": 2}), "dec");
        super::super::test_util::assert_refused(
            &init_inject(lstm, "3.15.0"),
            &["`dec` (LSTM)", "initial states"],
        );
    }
}
