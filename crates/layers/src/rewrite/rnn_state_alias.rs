//! A recurrent layer returning its state (`return_state`, no
//! `return_sequences`) whose output and first state are both read:
//! TensorFlow.js 4.22's `LSTM`, `GRU`, `SimpleRNN` and `ConvLSTM2D` return
//! the very same tensor object as the output and the `h` state (the cell
//! returns `[h, h, c]`), while its `execute` (tfjs-layers
//! `engine/executor.ts`) counts the readers of each symbolic tensor apart
//! and disposes a value when the last reader of one of them has run. The
//! other one is then disposed under its readers, and `predict` fails
//! ("Tensor is disposed", "Cannot read properties of undefined (reading
//! 'backend')"), found by loading rebuilt models with Siamese calls on an
//! LSTM's `[h, c]` and `[o, o]` in real TF.js. The output and the `h`
//! state are the same values in Keras too, so every reader of the `h`
//! state (output 1) reads the output (output 0) instead, and only one
//! symbolic tensor holds the value.

use serde_json::Value;
use tfjs_format::topology::entry_calls;

/// The classes whose TF.js layer returns its output as its first state.
const ALIASING: [&str; 4] = ["LSTM", "GRU", "SimpleRNN", "ConvLSTM2D"];

/// The calls `(layer, node)` of `layers` (one functional model's layer
/// entries) whose output and `h` state TF.js returns as one tensor.
fn aliasing_calls(layers: &[Value]) -> Vec<(String, u64)> {
    let mut calls = Vec::new();
    for layer in layers {
        let class = layer
            .get("class_name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let flag = |key: &str| layer.pointer(&format!("/config/{key}")) == Some(&Value::Bool(true));
        if !ALIASING.contains(&class) || !flag("return_state") || flag("return_sequences") {
            continue;
        }
        let Some(name) = tfjs_format::topology::layer_entry_name(layer) else {
            continue;
        };
        let nodes = entry_calls(layer).count();
        calls.extend((0..nodes as u64).map(|n| (name.to_string(), n)));
    }
    calls
}

/// Every reference to a tensor in `layers`' inbound nodes and in
/// `outputs` (the model's `output_layers`).
fn references<'v>(
    layers: &'v mut [Value],
    outputs: Option<&'v mut Value>,
) -> impl Iterator<Item = &'v mut Vec<Value>> {
    let inbound = layers
        .iter_mut()
        .filter_map(|l| l.get_mut("inbound_nodes").and_then(Value::as_array_mut))
        .flatten()
        .filter_map(Value::as_array_mut)
        .flatten();
    let outputs = outputs.and_then(Value::as_array_mut).into_iter().flatten();
    inbound.chain(outputs).filter_map(Value::as_array_mut)
}

fn is(t: &[Value], layer: &str, node: u64, index: u64) -> bool {
    t.first().and_then(Value::as_str) == Some(layer)
        && t.get(1).and_then(Value::as_u64) == Some(node)
        && t.get(2).and_then(Value::as_u64) == Some(index)
}

/// Point the readers of the `h` state of each call of `layers` whose
/// output is read too at the output instead; one note per such call.
pub fn rewrite(layers: &mut [Value], mut outputs: Option<&mut Value>) -> Vec<String> {
    let mut notes = Vec::new();
    for (layer, node) in aliasing_calls(layers) {
        let reads = |index| {
            layers
                .iter()
                .flat_map(entry_calls)
                .flatten()
                .filter_map(Value::as_array)
                .any(|slot| is(slot, &layer, node, index))
        };
        let as_output = |outputs: &Option<&mut Value>, index| {
            outputs
                .as_deref()
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .any(|t| is(t, &layer, node, index))
        };
        let read = |index| reads(index) || as_output(&outputs, index);
        if !(read(0) && read(1)) {
            continue;
        }
        for t in references(layers, outputs.as_deref_mut()) {
            if is(t, &layer, node, 1) {
                t[2] = Value::from(0);
            }
        }
        notes.push(format!(
            "{} (inbound node {node}): its output and `h` state are one tensor in TensorFlow.js 4.22, \
             which disposes it after the last reader of either; the readers of the state read \
             the output (the same values)",
            crate::error::printable(&layer)
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn the_readers_of_an_lstm_h_state_read_its_output() {
        // `o` and `h` feed two calls of one Dense; in TF.js they are one
        // tensor, disposed after the first of them.
        let lstm = json!({"units": 3, "return_state": true});
        let layers = vec![
            entry_on("r", "Reshape", json!({"target_shape": [2, 2]}), "x"),
            entry_on("lstm", "LSTM", lstm, "r"),
            entry(
                "d",
                "Dense",
                json!({"units": 2}),
                vec![json!([["lstm", 0, 0, {}]]), json!([["lstm", 0, 1, {}]])],
            ),
            entry(
                "sum",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([
                    ["d", 0, 0, {}],
                    ["d", 1, 0, {}],
                    ["lstm", 0, 2, {}]
                ])],
            ),
        ];
        let model = functional(&[4], layers, 5);
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        assert_note(
            &out,
            "lstm (inbound node 0): its output and `h` state are one tensor",
        );
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(
            layer_named(topology, "d")["inbound_nodes"],
            json!([[["lstm", 0, 0, {}]], [["lstm", 0, 0, {}]]])
        );
    }

    #[test]
    fn an_unread_output_leaves_the_state_readers_alone() {
        let lstm = json!({"units": 3, "return_state": true});
        let layers = vec![
            entry_on("r", "Reshape", json!({"target_shape": [2, 2]}), "x"),
            entry_on("lstm", "LSTM", lstm, "r"),
            entry(
                "sum",
                "Concatenate",
                json!({"axis": -1}),
                vec![json!([["lstm", 0, 1, {}], ["lstm", 0, 2, {}]])],
            ),
        ];
        let model = functional(&[4], layers, 5);
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        assert!(!out.notes.iter().any(|n| n.contains("one tensor")));
    }
}
