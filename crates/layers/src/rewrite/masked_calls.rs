//! Layers a Keras mask reaches that the target runtime treats otherwise
//! ([`crate::Dialect::masked_call_differs`]): Keras 3's masked merges
//! (masked-out values as 1 in `Multiply`, the other operand in `Maximum` /
//! `Minimum`, masks ORed) written for TensorFlow.js or tf_keras, Keras 2's
//! mask-dropping `Rescaling` / `Normalization` written for TensorFlow.js or
//! Keras 3, and the other way round. Neither runtime has a layer that reads
//! or replaces a mask, so there is no exact rewrite: the layer is refused
//! with the reason. Which calls masks reach comes from the built model
//! ([`crate::Model::masked_calls`]).

use super::{Outcome, Site};

/// The rule.
pub fn rule(site: &Site<'_>) -> Outcome {
    let target = site.target.dialect();
    // A call whose output mask alone differs changes no number when no
    // later layer computes with that mask (see
    // `LayerShapes::output_mask_unread`): a Keras 3 token tagger's residual
    // `Add` after a `MultiHeadAttention` read only by `Dense` layers.
    let unread = site.shapes.is_some_and(|s| s.output_mask_unread)
        && crate::Dialect::only_the_mask_differs(site.class_name);
    // Keras 3 runs a masked sequence given initial states unmasked: TF.js
    // does so behind a keep-every-step `Masking` (`rnn_mask_leak`).
    let unmasked = site.target == super::Target::Tfjs
        && site.shapes.is_some_and(|s| {
            super::rnn_mask_leak::runs_unmasked(
                site.dialect,
                site.class_name,
                site.config,
                site.inbound_nodes.map_or(0, <[_]>::len),
                s,
            )
        });
    let unread = unread || unmasked;
    site.shapes
        .into_iter()
        .flat_map(|s| &s.masked_calls)
        .filter(|_| !unread)
        .find_map(|call| site.dialect.masked_call_differs(target, call))
        .map(|why| format!("{why}; {} cannot express that", site.target.name()))
        .or_else(|| tfjs_merge_mask(site))
        .map_or(Outcome::Skip, Outcome::Cannot)
}

/// TensorFlow.js 4.22's merge layers but `Concatenate` (`Add`, `Subtract`,
/// `Multiply`, `Average`, `Maximum`, `Minimum`: `Merge.computeMask` in
/// tfjs-layers' merge.js) expand each mask to `[1, batch, steps]` and return
/// the first input's, ANDed with those of the others but the last, without
/// Keras's reduction over the new axis: a later layer computing with that
/// mask fails ("Operands could not be broadcast together") or, the first
/// input unmasked, runs unmasked (an LSTM after `Add([dense, embedding])`
/// was 0.22 off). Such a merge is refused unless no later layer computes
/// with its output mask (`LayerShapes::output_mask_unread`: layers that
/// ignore masks, or rewritten from the ids of `Embedding(mask_zero)`s).
fn tfjs_merge_mask(site: &Site<'_>) -> Option<String> {
    if site.target != super::Target::Tfjs
        || !matches!(
            site.class_name,
            "Add" | "Subtract" | "Multiply" | "Average" | "Maximum" | "Minimum"
        )
    {
        return None;
    }
    let shapes = site.shapes?;
    let masked = shapes
        .masked_calls
        .iter()
        .any(|c| c.masks.iter().any(Option::is_some));
    (masked && !shapes.output_mask_unread).then(|| {
        "a Keras mask reaches it and a later layer computes with its output mask, which \
         TensorFlow.js 4.22's merge layers return malformed (the first input's, expanded to \
         [1, batch, steps]: a later layer fails or runs unmasked)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{rewrite_for, Target};
    use crate::dialect::{KERAS3_VERSION, TF_KERAS_VERSION};
    use crate::save::KERAS_VERSION;
    use serde_json::Value;

    /// `Masking` on the input, then `merge` of the masked tensor and
    /// `other` (the unmasked input, or a second `Masking` of it), and a
    /// `Rescaling` of the merge.
    fn masked_merge(version: &str, merge: &str, other: &str) -> crate::Model {
        read_masked_merge(version, merge, other, &[])
    }

    /// [`masked_merge`] with `after` (entries reading `scale` on) after it.
    fn read_masked_merge(
        version: &str,
        merge: &str,
        other: &str,
        after: &[serde_json::Value],
    ) -> crate::Model {
        let mut layers = vec![
            entry_on("mask", "Masking", json!({"mask_value": 0.0}), "x"),
            entry_on("mask2", "Masking", json!({"mask_value": 0.0}), "x"),
            entry(
                "merge",
                merge,
                json!({}),
                vec![json!([["mask", 0, 0, {}], [other, 0, 0, {}]])],
            ),
            entry_on("scale", "Rescaling", json!({"scale": 2.0}), "merge"),
        ];
        layers.extend(after.iter().cloned());
        functional_from(&[4, 2], layers, 3, Some(version))
    }

    fn refusal(model: &crate::Model, target: Target) -> String {
        rewrite_for(model, target).unwrap_err().to_string()
    }

    /// Keras 3's merges of masked inputs are refused for TensorFlow.js and
    /// tf_keras by name (all at once), kept for Keras 3; the saved
    /// topology keeps the Keras 3 version only where a merge differs.
    #[test]
    fn keras3_masked_merges_are_refused_where_the_target_differs() {
        // Keras 3 merges keep no mask unless every input has one.
        let model = masked_merge(KERAS3_VERSION, "Multiply", "x");
        let calls = model.masked_calls();
        let names: Vec<&str> = calls.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["merge"]);
        assert_eq!(calls[0].1.masks[0].map(|m| m.1), Some(2));
        assert_eq!(calls[0].1.masks[1], None);
        assert_eq!(model.topology()["keras_version"], KERAS3_VERSION);
        let model = masked_merge(KERAS3_VERSION, "Multiply", "mask2");
        let calls = model.masked_calls();
        let names: Vec<&str> = calls.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["merge", "scale"]);
        let ids: Vec<_> = calls[0].1.masks.iter().map(|m| m.map(|m| m.0)).collect();
        assert!(ids[0].is_some() && ids[1].is_some() && ids[0] != ids[1]);
        // A reload of the save computes the same numbers.
        let back = crate::Model::from_artifacts(
            &model.to_artifacts().unwrap(),
            &crate::LoadOptions::default(),
        )
        .unwrap();
        let x = input(&[2, 4, 2]);
        let mut x0 = x.to_f32().into_owned();
        x0[2..4].fill(0.0);
        let x = crate::Tensor::from_f32(vec![2, 4, 2], x0).unwrap();
        let want = model.predict(std::slice::from_ref(&x)).unwrap();
        assert_eq!(back.predict(std::slice::from_ref(&x)).unwrap(), want);
        let err = refusal(&model, Target::Tfjs);
        assert!(
            err.contains("`merge` (Multiply): a mask reaches it"),
            "{err}"
        );
        assert!(
            err.contains("TensorFlow.js 4.22 cannot express that"),
            "{err}"
        );
        let err = refusal(&model, Target::TfKeras);
        assert!(err.contains("`merge` (Multiply)"), "{err}");
        // tf_keras drops the Rescaling's mask too: listed where a later
        // layer computes with it.
        assert!(!err.contains("`scale`"), "{err}");
        let lstm = entry_on("rnn", "LSTM", json!({"units": 2}), "scale");
        let read = read_masked_merge(
            KERAS3_VERSION,
            "Multiply",
            "mask2",
            std::slice::from_ref(&lstm),
        );
        let err = refusal(&read, Target::TfKeras);
        assert!(err.contains("`merge` (Multiply)"), "{err}");
        assert!(
            err.contains("`scale` (Rescaling): a mask reaches it"),
            "{err}"
        );
        rewrite_for(&model, Target::Keras3).unwrap();
        // An Add of the same mask twice agrees everywhere; its Rescaling
        // still differs in tf_keras where an LSTM reads its mask.
        let model = masked_merge(KERAS3_VERSION, "Add", "mask");
        assert_eq!(model.topology()["keras_version"], KERAS_VERSION);
        rewrite_for(&model, Target::Tfjs).unwrap();
        rewrite_for(&model, Target::TfKeras).unwrap();
        let read = read_masked_merge(KERAS3_VERSION, "Add", "mask", &[lstm]);
        let err = refusal(&read, Target::TfKeras);
        assert!(err.contains("1 layer without"), "{err}");
        assert!(err.contains("`scale` (Rescaling)"), "{err}");
        // Two masks made alike by two Masking layers are two masks (refused
        // where an LSTM reads the merge's output mask; the Rescaling between
        // passes it on).
        let lstm = entry_on("rnn", "LSTM", json!({"units": 2}), "scale");
        let model = read_masked_merge(KERAS3_VERSION, "Add", "mask2", std::slice::from_ref(&lstm));
        assert!(refusal(&model, Target::Tfjs).contains("`merge` (Add): its inputs carry"));
        rewrite_for(&masked_merge(KERAS3_VERSION, "Add", "mask2"), Target::Tfjs).unwrap();
        let model = read_masked_merge(KERAS3_VERSION, "Concatenate", "x", &[lstm]);
        assert!(refusal(&model, Target::Tfjs).contains("`merge` (Concatenate)"));
        // A model without masks saves as TensorFlow.js does.
        let layers = vec![entry(
            "merge",
            "Multiply",
            json!({}),
            vec![json!([["x", 0, 0, {}], ["x", 0, 0, {}]])],
        )];
        let model = functional_from(&[4, 2], layers, 3, Some(KERAS3_VERSION));
        assert!(model.masked_calls().is_empty());
        assert_eq!(model.topology()["keras_version"], KERAS_VERSION);
    }

    /// tf_keras's mask-dropping Rescaling keeps its version on a save and
    /// is refused for TensorFlow.js and Keras 3; its merges agree with
    /// TensorFlow.js's.
    #[test]
    fn tf_keras_masked_rescaling_keeps_its_version() {
        let model = masked_merge(TF_KERAS_VERSION, "Multiply", "x");
        assert_eq!(model.topology()["keras_version"], TF_KERAS_VERSION);
        // The Rescaling's values agree; its output's mask (dropped by Keras
        // 2, passed on by TF.js) is the model output's, which no number
        // depends on.
        rewrite_for(&model, Target::Tfjs).unwrap();
        // An LSTM after it runs unmasked in Keras 2, masked in TF.js.
        let lstm = entry_on("rnn", "LSTM", json!({"units": 2}), "scale");
        let read = read_masked_merge(TF_KERAS_VERSION, "Multiply", "x", &[lstm]);
        let err = refusal(&read, Target::Tfjs);
        assert!(err.contains("`scale` (Rescaling)"), "{err}");
        // The Multiply's values agree, but TF.js's merge mask the LSTM
        // reads is malformed.
        assert!(
            err.contains("`merge` (Multiply): a Keras mask reaches it and a later layer"),
            "{err}"
        );
        let err = refusal(&model, Target::Keras3);
        assert!(err.contains("`merge` (Multiply)"), "{err}");
        assert!(!err.contains("`scale`"), "{err}");
        let err = refusal(&read, Target::Keras3);
        assert!(
            err.contains("`merge` (Multiply)") && err.contains("`scale`"),
            "{err}"
        );
        rewrite_for(&model, Target::TfKeras).unwrap();
    }

    /// A Keras 3 merge whose inputs carry different masks computes the
    /// values TF.js and tf_keras compute, and another output mask (Keras 3
    /// ORs the masks, they AND them): rebuilt or exported where the layers
    /// after it ignore masks (Dense, LayerNormalization, Dropout,
    /// Activation, …), refused where one computes with the mask (an LSTM
    /// skips the masked steps).
    #[test]
    fn a_merge_mask_is_refused_only_where_a_later_layer_reads_it() {
        let blind = [
            entry_on("ln", "LayerNormalization", json!({"axis": -1}), "merge"),
            entry_on("drop", "Dropout", json!({"rate": 0.5}), "ln"),
            entry_on("act", "Activation", json!({"activation": "tanh"}), "drop"),
            dense("d", 3, "act"),
        ];
        for other in ["mask2", "x"] {
            for merge in ["Add", "Subtract", "Average"] {
                let mut layers = vec![
                    entry_on("mask", "Masking", json!({"mask_value": 0.0}), "x"),
                    entry_on("mask2", "Masking", json!({"mask_value": 1.0}), "x"),
                    entry(
                        "merge",
                        merge,
                        json!({}),
                        vec![json!([["mask", 0, 0, {}], [other, 0, 0, {}]])],
                    ),
                ];
                layers.extend(blind.iter().cloned());
                let model = functional_from(&[4, 2], layers.clone(), 3, Some(KERAS3_VERSION));
                let mut x0 = input(&[2, 4, 2]).to_f32().into_owned();
                x0[2..4].fill(0.0);
                x0[12..14].fill(1.0);
                let x = crate::Tensor::from_f32(vec![2, 4, 2], x0).unwrap();
                assert_same(&model, &x, 1e-6);
                rewrite_for(&model, Target::TfKeras).unwrap();
                layers.push(entry_on("rnn", "LSTM", json!({"units": 2}), "d"));
                let model = functional_from(&[4, 2], layers, 3, Some(KERAS3_VERSION));
                for target in [Target::Tfjs, Target::TfKeras] {
                    let err = refusal(&model, target);
                    assert!(
                        err.contains(&format!(
                            "`merge` ({merge}): its inputs carry different masks"
                        )),
                        "{err}"
                    );
                }
            }
        }
    }

    /// A mask reaching a `Softmax` (Keras sets masked logits to -1e9; Keras
    /// 3 zeroes them after, Keras 2 not; TensorFlow.js ignores the mask):
    /// refused where the target applies it otherwise.
    #[test]
    fn masked_softmax_is_refused_where_the_target_differs() {
        let model = |version: &str| {
            let layers = vec![
                entry_on("mask", "Masking", json!({"mask_value": 0.0}), "x"),
                entry_on("sm", "Softmax", json!({"axis": -1}), "mask"),
            ];
            functional_from(&[4, 4], layers, 3, Some(version))
        };
        let k3 = model(KERAS3_VERSION);
        let err = refusal(&k3, Target::Tfjs);
        assert!(err.contains("`sm` (Softmax): a mask reaches it"), "{err}");
        assert!(
            err.contains("TensorFlow.js's Softmax ignores masks"),
            "{err}"
        );
        assert!(refusal(&k3, Target::TfKeras).contains("`sm` (Softmax)"));
        rewrite_for(&k3, Target::Keras3).unwrap();
        let k2 = model(TF_KERAS_VERSION);
        assert!(refusal(&k2, Target::Tfjs).contains("`sm` (Softmax)"));
        rewrite_for(&k2, Target::TfKeras).unwrap();
    }

    /// TF.js 4.22's `Add` returns a malformed mask (`[1, batch, steps]`):
    /// a tf_keras `Add([Dense(embedding), embedding])` read by an LSTM (which
    /// computes with the mask) is refused; read by a Dense only, rebuilt.
    #[test]
    fn tfjs_merge_masks_are_refused_where_a_later_layer_reads_them() {
        let layers = |after: Value| {
            vec![
                mask_zero_embedding("emb", "x"),
                dense("d", 3, "emb"),
                entry(
                    "add",
                    "Add",
                    json!({}),
                    vec![json!([["d", 0, 0, {}], ["emb", 0, 0, {}]])],
                ),
                after,
            ]
        };
        let lstm = entry_on("rnn", "LSTM", json!({"units": 2}), "add");
        let model = functional_from(&[6], layers(lstm), 3, Some(TF_KERAS_VERSION));
        let err = refusal(&model, Target::Tfjs);
        assert!(
            err.contains("`add` (Add): a Keras mask reaches it and a later layer computes"),
            "{err}"
        );
        rewrite_for(&model, Target::Keras3).unwrap();
        let model = functional_from(
            &[6],
            layers(dense("out", 2, "add")),
            3,
            Some(TF_KERAS_VERSION),
        );
        assert_same(&model, &padded_ids(), 1e-6);
    }
}
