//! Calls given `mask=` a tensor of the model's own (`LSTM(8)(x, mask=m)`
//! with `m` a boolean `Input` or a comparison's output), which the engine
//! applies as Keras does, are refused for TensorFlow.js: TF.js 4.22 loads
//! such a call with its recorded kwargs handed to `layer.apply` as written
//! (the mask as a `[layer, node, tensor]` list, not a tensor), and its
//! executor (`tfjs-layers/src/engine/executor.ts`, `execute`) calls each
//! layer with the masks propagated to its inputs only, never with a node's
//! recorded kwargs: the layer would run unmasked (or under another mask)
//! and compute other numbers. Keras exports keep the call as it is
//! (tf_keras and Keras 3 read `mask=` back).

use super::{Outcome, Site, Target};

/// The rule: refuses, for TF.js, a layer with a call given an explicit
/// mask, naming where the mask comes from.
pub fn rule(site: &Site<'_>) -> Outcome {
    if site.target != Target::Tfjs {
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
