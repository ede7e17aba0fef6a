//! A nested model that makes a Keras mask inside (`Embedding(mask_zero)`,
//! `Masking`) which reaches layers after it: Keras passes a nested model's
//! output mask on, TensorFlow.js 4.22 does not (those layers run
//! unmasked there and compute other numbers), found by loading a rebuilt
//! tf_keras model in real TF.js. A mask arriving from outside and passing
//! through a nested model reaches the layers after it in TF.js too. There
//! is no layer that makes a mask from another tensor's values, so such a
//! nested model is refused.

use super::site::LayerShapes;
use serde_json::Value;
use std::collections::HashMap;
use tfjs_format::topology::{layer_entry_class, layer_entry_name};

/// Why TensorFlow.js computes otherwise.
pub const WHY: &str = "it makes a Keras mask inside (Masking, Embedding mask_zero) that reaches \
     layers after it, and TensorFlow.js 4.22 does not pass a nested model's mask on (they would \
     run unmasked)";

/// `(name, class)` of each nested model of `layers` (one functional
/// model's entries) that makes masks and whose output a mask-reached call
/// reads (`shapes`: the calls masks reach, by layer name).
pub fn refused(layers: &[Value], shapes: &HashMap<String, LayerShapes>) -> Vec<(String, String)> {
    let reads = |consumer: &Value, name: &str| {
        tfjs_format::topology::entry_calls(consumer)
            .flatten()
            .any(|t| t.get(0).and_then(Value::as_str) == Some(name))
    };
    layers
        .iter()
        .filter(|l| matches!(layer_entry_class(l), "Sequential" | "Functional" | "Model"))
        .filter(|l| l.get("config").is_some_and(super::walk::makes_masks))
        .filter_map(|l| {
            let name = layer_entry_name(l)?;
            layers
                .iter()
                .filter(|c| reads(c, name))
                .any(|c| {
                    layer_entry_name(c)
                        .and_then(|n| shapes.get(n))
                        .is_some_and(|s| !s.masked_calls.is_empty())
                })
                .then(|| (name.to_string(), layer_entry_class(l).to_string()))
        })
        .collect()
}
