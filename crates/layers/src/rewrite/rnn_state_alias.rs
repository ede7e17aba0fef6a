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
//!
//! The `RNN` wrapper does the same over one `SimpleRNNCell`, `LSTMCell` or
//! `GRUCell` (each cell's `call` returns `[h, h, …]`, and TF.js's `RNN`
//! returns `[lastOutput, ...states]` from it unmasked). Over a cell stack,
//! TF.js's `StackedRNNCells` returns `[h_last, ...states]` with the
//! states flat last cell first, so the output is the first state (the
//! layer's output 1) when the last cell is one of those three. A Keras
//! model's stacks (first cell first) are in TF.js's order by the time
//! this runs ([`super::rnn_stack_states`]) or refused.

use serde_json::Value;
use tfjs_format::topology::{entry_calls, layer_entry_class};

/// The classes whose TF.js layer returns its output as its first state.
const ALIASING: [&str; 4] = ["LSTM", "GRU", "SimpleRNN", "ConvLSTM2D"];

/// The cells whose TF.js `call` returns its output as its first state.
const ALIASING_CELLS: [&str; 3] = ["SimpleRNNCell", "LSTMCell", "GRUCell"];

/// Whether TF.js's `RNN` over `cell` (a cell, a list of cells or a
/// `StackedRNNCells`, its states in TF.js's order) returns its output as
/// its first state.
fn rnn_aliases(cell: &Value) -> bool {
    let aliasing = |c: &Value| ALIASING_CELLS.contains(&layer_entry_class(c));
    let stack = match cell {
        Value::Array(cells) => Some(cells),
        c if layer_entry_class(c) == "StackedRNNCells" => {
            cell.pointer("/config/cells").and_then(Value::as_array)
        }
        _ => None,
    };
    match stack {
        None => aliasing(cell),
        Some(cells) => cells.last().is_some_and(aliasing),
    }
}

/// The calls `(layer, node)` of `layers` (one functional model's layer
/// entries) whose output and `h` state TF.js returns as one tensor.
fn aliasing_calls(layers: &[Value]) -> Vec<(String, u64)> {
    let mut calls = Vec::new();
    for layer in layers {
        let class = layer_entry_class(layer);
        let flag = |key: &str| layer.pointer(&format!("/config/{key}")) == Some(&Value::Bool(true));
        let aliases = ALIASING.contains(&class)
            || (class == "RNN" && layer.pointer("/config/cell").is_some_and(rnn_aliases));
        if !aliases || !flag("return_state") || flag("return_sequences") {
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
pub(super) fn references<'v>(
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
        let both_output = json!([[["lstm", 0, 0, {}]], [["lstm", 0, 0, {}]]]);
        assert_rewired(&model, "lstm", both_output);
    }

    /// Rewrite `model` (checking it predicts the same), which must say
    /// that `layer`'s output and `h` state are one tensor and give the
    /// Dense `d` the inbound nodes `d_nodes`; the rewritten topology.
    fn assert_rewired(
        model: &crate::Model,
        layer: &str,
        d_nodes: serde_json::Value,
    ) -> serde_json::Value {
        let out = assert_same(model, &input(&[2, 4]), 0.0);
        let note = format!("{layer} (inbound node 0): its output and `h` state are one tensor");
        assert_note(&out, &note);
        let topology = out.artifacts.model_topology.clone().unwrap();
        assert_eq!(layer_named(&topology, "d")["inbound_nodes"], d_nodes);
        topology
    }

    /// `rnn` (config `rnn`) on a 2-step view of `x`, its output and
    /// state 1 each through one call of a Dense, and its outputs from 2 to
    /// `last` beside them.
    fn output_and_state_read(rnn: serde_json::Value, last: usize) -> Vec<serde_json::Value> {
        let mut cat = vec![json!(["d", 0, 0, {}]), json!(["d", 1, 0, {}])];
        cat.extend((2..=last).map(|i| json!(["rnn", 0, i, {}])));
        vec![
            entry_on("r", "Reshape", json!({"target_shape": [2, 2]}), "x"),
            entry_on("rnn", "RNN", rnn, "r"),
            entry(
                "d",
                "Dense",
                json!({"units": 2}),
                vec![json!([["rnn", 0, 0, {}]]), json!([["rnn", 0, 1, {}]])],
            ),
            entry("sum", "Concatenate", json!({"axis": -1}), vec![json!(cat)]),
        ]
    }

    /// `d`'s inbound nodes when both read the output of `rnn`.
    fn rnn_both_output() -> serde_json::Value {
        json!([[["rnn", 0, 0, {}]], [["rnn", 0, 0, {}]]])
    }

    fn cell(class: &str, units: usize) -> serde_json::Value {
        json!({"class_name": class, "config": {"units": units}})
    }

    #[test]
    fn the_rnn_wrapper_over_one_cell_aliases_as_its_layer_does() {
        for (class, keras, last) in [
            ("LSTMCell", Some("2.21.0"), 2),
            ("GRUCell", None, 1),
            ("SimpleRNNCell", Some("3.15.0"), 1),
        ] {
            let rnn = json!({"cell": cell(class, 3), "return_state": true});
            let model = functional_from(&[4], output_and_state_read(rnn, last), 5, keras);
            assert_rewired(&model, "rnn", rnn_both_output());
        }
    }

    #[test]
    fn a_tfjs_stack_aliases_its_last_cells_h() {
        // TF.js orders a stack's states last cell first: [h2, c2, h1], and
        // h2 is the output (our engine orders a TF.js model's stack so).
        let stack = |keras: Option<&str>| {
            let rnn = json!({"cell": {"class_name": "StackedRNNCells", "config": {"cells": [
                cell("SimpleRNNCell", 3), cell("LSTMCell", 3)]}}, "return_state": true});
            functional_from(&[4], output_and_state_read(rnn, 3), 5, keras)
        };
        assert_rewired(&stack(None), "rnn", rnn_both_output());
        // Keras orders them [h1, h2, c2]: h1 (Keras output 1) is TF.js's
        // output 3, and h2 (Keras output 2) TF.js's 1, which is the output
        // (rnn_stack_states reorders, then this rule rewires).
        let d_nodes = json!([[["rnn", 0, 0, {}]], [["rnn", 0, 3, {}]]]);
        let topology = assert_rewired(&stack(Some("2.21.0")), "rnn", d_nodes);
        assert_eq!(
            layer_named(&topology, "sum")["inbound_nodes"][0],
            json!([
                ["d", 0, 0, {}],
                ["d", 1, 0, {}],
                ["rnn", 0, 0, {}],
                ["rnn", 0, 2, {}]
            ])
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
