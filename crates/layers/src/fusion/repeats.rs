//! Repeated calls: a call of a weightless layer whose class, config (but
//! its name) and inputs are those of an earlier call computes the same
//! tensors, so the plan runs it once and the later call's readers read the
//! first call's outputs. Keras's NASNet applies a fresh `Activation("relu")`
//! to the same tensor in each separable block of a cell, and its reduction
//! cells pool the same padded tensor twice with the same window: a third
//! of its activations and a tenth of its poolings were repeats.
//!
//! Only layer types whose every number follows from their config are
//! merged (activations and pooling; found by type, as the rest of the
//! plan finds its chains), and only calls without an explicit mask: the merged call's outputs and masks are the first's,
//! bit for bit. The layers themselves (what gets saved) are untouched.

use crate::layers::advanced_activations::ElementwiseActivation;
use crate::layers::core::ActivationLayer;
use crate::layers::pooling::Pooling;
use crate::model::{Model, ModelLayer};
use crate::Layer;
use std::collections::HashMap;

/// The plan's view of the graph once repeated calls are merged.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    /// Per tensor: the tensor that holds its value (itself, unless a
    /// repeated call produces it).
    alias: Vec<usize>,
    /// Per exec position: its inputs after merging, where they changed.
    inputs: Vec<Option<Vec<usize>>>,
    /// Per exec position: whether it repeats an earlier call (not run).
    pub repeated: Vec<bool>,
    /// Per tensor: the exec position of its last read (`usize::MAX`: a
    /// model output, kept), after merging.
    pub last_use: Vec<usize>,
}

/// Whether `layer` computes nothing but what its config says (no weights,
/// no state, nothing drawn at random at inference).
fn config_only(layer: &dyn Layer) -> bool {
    let Some(any) = layer.as_any() else {
        return false;
    };
    // (Not `ZeroPadding2D`: merging NASNet's paddings of merged
    // activations, each folded into its own separable convolution, gave
    // the padding two readers, and a padded copy.)
    any.is::<ActivationLayer>() || any.is::<ElementwiseActivation>() || any.is::<Pooling>()
}

impl Repeats {
    /// No call merged: the model's own inputs and last reads.
    pub(crate) fn none(model: &Model) -> Repeats {
        let n = model.exec.len();
        Repeats {
            alias: (0..model.tensors.len()).collect(),
            inputs: vec![None; n],
            repeated: vec![false; n],
            last_use: model.last_use.clone(),
        }
    }

    /// Find the repeated calls of `model` (callers have checked that no
    /// call has an explicit mask).
    pub(crate) fn find(model: &Model) -> Repeats {
        let mut r = Repeats::none(model);
        // (class, config without the name, inputs, call kwargs) → exec position.
        let mut seen: HashMap<(String, String, Vec<usize>, String), usize> = HashMap::new();
        let mut any = false;
        for (pos, &(l, c)) in model.exec.iter().enumerate() {
            let call = &model.calls[l][c];
            let inputs: Vec<usize> = call.inputs.iter().map(|&t| r.alias[t]).collect();
            if inputs != call.inputs {
                r.inputs[pos] = Some(inputs.clone());
            }
            let ModelLayer::Layer(layer) = &model.layers[l] else {
                continue;
            };
            if inputs.is_empty() || call.masks.is_some() || !config_only(layer.as_ref()) {
                continue;
            }
            let mut config = layer.config();
            config.remove("name");
            let key = (
                layer.class_name().to_string(),
                serde_json::Value::Object(config).to_string(),
                inputs,
                serde_json::Value::Array(call.kwargs.clone()).to_string(),
            );
            match seen.get(&key) {
                Some(&first) => {
                    let (fl, fc) = model.exec[first];
                    let first_outputs = &model.calls[fl][fc].outputs;
                    if first_outputs.len() != call.outputs.len() {
                        continue;
                    }
                    for (&o, &f) in call.outputs.iter().zip(first_outputs) {
                        r.alias[o] = f;
                    }
                    r.repeated[pos] = true;
                    any = true;
                }
                None => {
                    seen.insert(key, pos);
                }
            }
        }
        if !any {
            return Repeats::none(model);
        }
        let mut last_use = vec![0usize; model.tensors.len()];
        for pos in 0..model.exec.len() {
            if !r.repeated[pos] {
                for &t in r.inputs_at(model, pos) {
                    last_use[t] = pos;
                }
            }
        }
        for &t in &model.outputs {
            last_use[r.alias[t]] = usize::MAX;
        }
        r.last_use = last_use;
        r
    }

    /// The inputs the call at exec position `pos` reads.
    pub(crate) fn inputs_at<'m>(&'m self, model: &'m Model, pos: usize) -> &'m [usize] {
        match self.inputs.get(pos) {
            Some(Some(inputs)) => inputs,
            _ => {
                let (l, c) = model.exec[pos];
                &model.calls[l][c].inputs
            }
        }
    }

    /// The tensor that holds tensor `t`'s value.
    pub(crate) fn holder(&self, t: usize) -> usize {
        self.alias.get(t).copied().unwrap_or(t)
    }
}
