//! Recurrent layers given initial states in a model that makes masks:
//! TensorFlow.js 4.22's executor (`execute`, which `predict` runs) shares
//! one keyword-argument object between all layers once a mask has
//! appeared, and `RNN.apply` stores the initial states in it. Every
//! recurrent layer run after that one then sees those states besides its
//! own inputs and fails ("When inputs is an array, neither initialState or
//! constants should be provided"). Found by loading a rebuilt tf_keras
//! model (`rnn_init_masked`) in real TF.js. A layer given initial states is
//! refused when some other recurrent layer of its model is not one of its
//! inputs' producers (and so may run after it); the usual encoder–decoder,
//! whose decoder is the last recurrent layer, is kept.

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use tfjs_format::topology::{layer_entry_class, layer_entry_name, RECURRENT_CLASSES};

/// Why TensorFlow.js fails on the layer.
pub const WHY: &str = "it is given initial states in a model that makes masks, and \
     TensorFlow.js 4.22's executor then passes those states on to every recurrent layer run \
     after it, which fails (\"When inputs is an array, neither initialState or constants \
     should be provided\")";

/// `(name, class)` of each layer of `layers` (one functional model's
/// entries) that TensorFlow.js would fail on, as the module docs say.
pub fn leaking_layers(layers: &[Value]) -> Vec<(String, String)> {
    let name_of = |l: &Value| layer_entry_name(l).unwrap_or("").to_string();
    let class_of = |l: &Value| layer_entry_class(l).to_string();
    // Each layer's producers (the layers its calls read), and whether a
    // call of it takes more than one tensor.
    let mut producers: HashMap<String, Vec<String>> = HashMap::new();
    let mut with_states = Vec::new();
    let mut recurrent = Vec::new();
    for l in layers {
        let name = name_of(l);
        let nodes = l.get("inbound_nodes").and_then(Value::as_array);
        let mut from = Vec::new();
        let mut several = false;
        for node in nodes.into_iter().flatten() {
            let Some(inputs) = node.as_array() else {
                continue;
            };
            several |= inputs.len() > 1;
            from.extend(
                inputs
                    .iter()
                    .filter_map(|t| t.get(0).and_then(Value::as_str).map(String::from)),
            );
        }
        producers.insert(name.clone(), from);
        if RECURRENT_CLASSES.contains(&class_of(l).as_str()) {
            recurrent.push(name.clone());
            if several {
                with_states.push((name, class_of(l)));
            }
        }
    }
    with_states
        .into_iter()
        .filter(|(name, _)| {
            let mut seen = HashSet::new();
            let mut todo = vec![name.clone()];
            while let Some(n) = todo.pop() {
                for p in producers.get(&n).into_iter().flatten() {
                    if seen.insert(p.clone()) {
                        todo.push(p.clone());
                    }
                }
            }
            recurrent.iter().any(|r| r != name && !seen.contains(r))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(name: &str, class: &str, inputs: &[&str]) -> Value {
        let node: Vec<Value> = inputs.iter().map(|i| json!([i, 0, 0, {}])).collect();
        let nodes = if inputs.is_empty() {
            json!([])
        } else {
            json!([node])
        };
        json!({"name": name, "class_name": class, "config": {"name": name}, "inbound_nodes": nodes})
    }

    #[test]
    fn a_stateful_call_with_a_later_recurrent_layer_is_found() {
        let base = vec![
            entry("x", "InputLayer", &[]),
            entry("h", "InputLayer", &[]),
            entry("c", "InputLayer", &[]),
            entry("enc", "LSTM", &["x"]),
        ];
        // Encoder, then a decoder given states: the decoder runs last.
        let mut seq2seq = base.clone();
        seq2seq.push(entry("dec", "LSTM", &["enc", "h", "c"]));
        assert!(leaking_layers(&seq2seq).is_empty());
        // A recurrent layer after the stateful call.
        let mut after = seq2seq.clone();
        after.push(entry("top", "GRU", &["dec"]));
        assert_eq!(
            leaking_layers(&after),
            [("dec".to_string(), "LSTM".to_string())]
        );
        // A parallel recurrent branch may run after it too.
        let mut parallel = base;
        parallel.push(entry("bi", "Bidirectional", &["x", "h", "c", "h", "c"]));
        assert_eq!(
            leaking_layers(&parallel),
            [("bi".to_string(), "Bidirectional".to_string())]
        );
    }
}
