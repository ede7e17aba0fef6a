//! A masked `Bidirectional` returning sequences whose layer TensorFlow.js
//! runs itself (`LSTM`, `SimpleRNN`, a `GRU` without `reset_after`): Keras
//! forces `zero_output_for_mask` on both halves there
//! (`Bidirectional.__init__`'s `force_zero_output_for_mask`, tf_keras and
//! Keras 3), so a masked step's output is 0, while TensorFlow.js 4.22 has
//! no such field and repeats the previous output (the forward half after
//! trailing padding) → the same `Bidirectional` named `<name>_seq`, then a
//! `Multiply` of the 0/1 mask (`[batch, T, 1]`, computed from the ids of
//! the `Embedding(mask_zero)` or the input of the `Masking` layer making
//! it) and the sequence: 0 at the masked steps for every merge mode
//! (concatenated, summed, multiplied or averaged zeros). Found with a
//! BiLSTM tagger whose padded tokens' tags differed in TF.js (2e-2).
//!
//! The mask is the `Multiply`'s first input, so TF.js passes no mask on
//! (4.22's `Merge.computeMask` reads its first input's only): rewritten
//! where no later layer computes with the mask Keras's output carries
//! ([`super::LayerShapes::output_mask_unread`]), refused otherwise and for
//! several outputs (`merge_mode: null`, `return_state`); left as it is where
//! only recurrent layers applying the same mask read it (a stacked
//! BiLSTM: they skip the masked steps, [`super::LayerShapes::masked_steps_unread`]). (Unrolled GRUs
//! zero their outputs themselves: [`super::gru_unroll`].)

use super::site::{mask_from_ids, mask_from_masking};
use super::{entry, entry_on, LayerShapes, Outcome, Site, Target};
use serde_json::{json, Value};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.target != Target::Tfjs || site.class_name != "Bidirectional" {
        return Outcome::Skip;
    }
    let Some(shapes) = site.shapes.filter(|s| !s.masked_calls.is_empty()) else {
        return Outcome::Skip;
    };
    let flag = |key: &str| {
        site.config
            .get("layer")
            .and_then(|l| l.pointer(&format!("/config/{key}")))
            .and_then(Value::as_bool)
            == Some(true)
    };
    // Keras 3 runs a masked sequence given initial states unmasked: no
    // step is zeroed there.
    let unmasked = site.dialect.initial_state_drops_mask()
        && shapes.masked_calls.iter().all(|c| c.masks.len() > 1);
    // Masked recurrences skip the masked steps: their values matter to no
    // layer then, and TF.js passes the mask on as Keras does.
    if !flag("return_sequences") || unmasked || shapes.masked_steps_unread {
        return Outcome::Skip;
    }
    zeroed(site, shapes, flag("return_state")).unwrap_or_else(|why| {
        Outcome::Cannot(format!(
            "a masked Bidirectional returning sequences, whose masked steps Keras outputs as 0 \
             (it forces zero_output_for_mask on both halves) and TensorFlow.js 4.22 as the \
             previous output; the rewrite zeroing them does not cover {why}"
        ))
    })
}

fn zeroed(site: &Site<'_>, shapes: &LayerShapes, return_state: bool) -> Result<Outcome, String> {
    if site.config.get("merge_mode") == Some(&Value::Null) || return_state {
        return Err("several outputs (merge_mode: null, return_state)".into());
    }
    if !shapes.output_mask_unread {
        return Err("a later layer computing with the mask its output carries".into());
    }
    let node = site.single_call("a layer outside a functional model")?;
    let dims = site.static_input()?;
    let [steps, features] = dims[..] else {
        return Err(format!("an input of shape {dims:?}"));
    };
    let name = site.name;
    let seq = format!("{name}_seq");
    let mask = format!("{name}_mask");
    let mut weights = site.weights_under(&seq);
    let mut layers = vec![entry(
        &seq,
        "Bidirectional",
        site.config_with("name", json!(seq)),
        vec![node.clone()],
    )];
    match (&shapes.mask_ids, &shapes.masking_input) {
        (Some(ids), _) => {
            let flat = format!("{mask}_flat");
            layers.extend(mask_from_ids(&flat, ids));
            layers.push(entry_on(
                &mask,
                "Reshape",
                json!({"target_shape": [steps, 1]}),
                &flat,
            ));
        }
        (None, Some((x, value))) => {
            let (entries, kernel) = mask_from_masking(&mask, x, *value, features);
            layers.extend(entries);
            weights.push(kernel);
        }
        (None, None) => {
            return Err(
                "a mask that neither an Embedding(mask_zero) nor a Masking layer of the same \
                 model makes"
                    .into(),
            )
        }
    }
    layers.push(entry(
        name,
        "Multiply",
        json!({}),
        vec![json!([[mask, 0, 0, {}], [seq, 0, 0, {}]])],
    ));
    site.note("masked steps' outputs zeroed, as Keras's Bidirectional does");
    Ok(Outcome::Replace { layers, weights })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    fn tagger(rnn: serde_json::Value, reader: serde_json::Value) -> Vec<serde_json::Value> {
        vec![
            mask_zero_embedding("emb", "x"),
            entry_on("bi", "Bidirectional", rnn, "emb"),
            reader,
        ]
    }

    fn bi(class: &str, merge: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut c = json!({"units": 3, "return_sequences": true, "activation": "tanh",
                           "recurrent_activation": "sigmoid"});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"layer": {"class_name": class, "config": c}, "merge_mode": merge})
    }

    #[test]
    fn a_masked_bidirectional_sequence_is_zeroed_at_masked_steps() {
        // Keras (both) forces zero_output_for_mask on the halves of a
        // Bidirectional returning sequences; TF.js repeats the previous
        // output. The engine computes Keras's numbers for both models.
        let td = json!({"layer": {"class_name": "Dense", "config": {"units": 2}}});
        for (class, merge) in [("LSTM", "concat"), ("SimpleRNN", "sum"), ("LSTM", "ave")] {
            for version in ["2.21.0", "3.15.0"] {
                let reader = entry_on("td", "TimeDistributed", td.clone(), "bi");
                let layers = tagger(bi(class, merge, json!({})), reader);
                let model = functional_from(&[6], layers, 4, Some(version));
                let out = assert_same(&model, &padded_ids(), 1e-6);
                assert_note(&out, "bi (Bidirectional) -> Bidirectional");
                let t = out.artifacts.model_topology.as_ref().unwrap();
                assert_eq!(layer_named(t, "bi")["class_name"], "Multiply");
                assert_eq!(layer_named(t, "bi_seq")["class_name"], "Bidirectional");
            }
        }
    }

    #[test]
    fn a_stacked_masked_recurrence_reads_it_as_it_is() {
        // Embedding → BiLSTM(sequences) → Dropout → LSTM: the LSTM skips
        // the masked steps, whatever their values.
        let mut layers = tagger(
            bi("LSTM", "concat", json!({})),
            entry_on("do", "Dropout", json!({"rate": 0.1}), "bi"),
        );
        layers.push(entry_on(
            "l2",
            "LSTM",
            json!({"units": 2, "recurrent_activation": "sigmoid"}),
            "do",
        ));
        let model = functional(&[6], layers, 2);
        let out = assert_same(&model, &padded_ids(), 1e-6);
        let t = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(layer_named(t, "bi")["class_name"], "Bidirectional");
    }

    #[test]
    fn a_later_layer_reading_the_mask_is_refused_with_why() {
        // A Dense reads the masked steps' values, the LSTM after it the mask.
        let dense = entry_on("d", "Dense", json!({"units": 2}), "bi");
        let mut layers = tagger(bi("LSTM", "concat", json!({})), dense);
        layers.push(entry_on("l2", "LSTM", json!({"units": 2}), "d"));
        let model = functional(&[6], layers, 1);
        assert_refused(
            &model,
            &[
                "`bi` (Bidirectional)",
                "zero_output_for_mask",
                "computing with the mask",
            ],
        );
    }
}
