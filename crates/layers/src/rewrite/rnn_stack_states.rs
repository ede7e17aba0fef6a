//! The states of an `RNN` over a cell stack in a model from Keras:
//! Keras keeps them flat first cell first (`RNN([GRUCell, LSTMCell,
//! SimpleRNNCell])` returns `[out, g, h, c, s]` and takes its initial
//! states so), TensorFlow.js 4.22's `StackedRNNCells` last cell first
//! (`[out, s, h, c, g]`: "states of a 2-layer LSTM would be `[h2, c2, h1,
//! c1]`" in tfjs-layers' `recurrent.ts`). The readers of each returned
//! state read it at its TF.js index, and initial states given as the
//! call's extra inputs are passed in TF.js's order; the rebuilt model is
//! TF.js's (so is its order when tfjs-rs loads it back). After this,
//! [`super::rnn_state_alias`] rewires the readers of the first TF.js
//! state (the last cell's `h`, which TF.js returns as the output too).
//!
//! Stacks of other cells, and calls whose inputs are not the sequence
//! plus one tensor per state, are refused by the walk (see
//! [`reorderable`]).

use serde_json::Value;
use tfjs_format::topology::{entry_calls, layer_entry_class, layer_entry_name};

/// The number of states of each cell of `cell` when it is a stack (a list
/// of cells or `StackedRNNCells`) of `SimpleRNNCell`, `GRUCell` and
/// `LSTMCell`.
fn state_counts(cell: &Value) -> Option<Vec<usize>> {
    let cells = match cell {
        Value::Array(cells) => cells,
        c if layer_entry_class(c) == "StackedRNNCells" => c.pointer("/config/cells")?.as_array()?,
        _ => return None,
    };
    cells
        .iter()
        .map(|c| match layer_entry_class(c) {
            "SimpleRNNCell" | "GRUCell" => Some(1),
            "LSTMCell" => Some(2),
            _ => None,
        })
        .collect()
}

/// For each TF.js state position, the Keras state index there.
fn tfjs_order(counts: &[usize]) -> Vec<usize> {
    let offsets: Vec<usize> = counts
        .iter()
        .scan(0, |sum, &n| {
            let at = *sum;
            *sum += n;
            Some(at)
        })
        .collect();
    (0..counts.len())
        .rev()
        .flat_map(|i| offsets[i]..offsets[i] + counts[i])
        .collect()
}

/// Whether the `RNN` with `config` called as `inbound_nodes` has a stack
/// whose states this rule reorders: known cells, and each call on the
/// sequence alone or on it plus one tensor per state.
pub(super) fn reorderable(
    config: &serde_json::Map<String, Value>,
    inbound_nodes: &[Value],
) -> bool {
    let Some(counts) = config.get("cell").and_then(state_counts) else {
        return false;
    };
    let states: usize = counts.iter().sum();
    inbound_nodes.iter().all(|node| {
        node.as_array().is_some_and(|refs| {
            (refs.len() == 1 || refs.len() == 1 + states)
                && refs.iter().all(|r| r.get(0).is_some_and(Value::is_string))
        })
    })
}

/// Put the states of every Keras `RNN` over a cell stack in `layers` (one
/// functional model's entries, and `outputs`, its `output_layers`) in
/// TF.js's order; one note per such layer.
pub fn rewrite(layers: &mut [Value], mut outputs: Option<&mut Value>) -> Vec<String> {
    let stacks: Vec<(String, Vec<usize>, bool)> = layers
        .iter()
        .filter(|l| layer_entry_class(l) == "RNN")
        .filter_map(|l| {
            let counts = state_counts(l.pointer("/config/cell")?)?;
            let order = tfjs_order(&counts);
            let returns = l.pointer("/config/return_state") == Some(&Value::Bool(true));
            let given = entry_calls(l).any(|refs| refs.len() > 1);
            let name = layer_entry_name(l)?.to_string();
            (order.len() > 1 && (returns || given)).then_some((name, order, returns))
        })
        .collect();
    let mut notes = Vec::new();
    for (name, order, returns) in stacks {
        if returns {
            let mut position = vec![0; order.len()];
            for (j, &k) in order.iter().enumerate() {
                position[k] = j;
            }
            for t in super::rnn_state_alias::references(layers, outputs.as_deref_mut()) {
                let index = t.get(2).and_then(Value::as_u64).unwrap_or(0) as usize;
                if t.first().and_then(Value::as_str) == Some(name.as_str())
                    && (1..=order.len()).contains(&index)
                {
                    t[2] = Value::from(1 + position[index - 1]);
                }
            }
        }
        if let Some(layer) = layers
            .iter_mut()
            .find(|l| layer_entry_name(l) == Some(name.as_str()))
        {
            let nodes = layer
                .get_mut("inbound_nodes")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
                .filter_map(Value::as_array_mut)
                .filter(|refs| refs.len() == 1 + order.len());
            for refs in nodes {
                let given: Vec<Value> = refs.drain(1..).collect();
                refs.extend(order.iter().map(|&k| given[k].clone()));
            }
        }
        notes.push(format!(
            "{} (RNN): its cell stack's states are returned and taken in TensorFlow.js's order \
             (last cell first; Keras: first cell first)",
            crate::error::printable(&name)
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::tfjs_order;

    #[test]
    fn tfjs_orders_a_stacks_states_last_cell_first() {
        // GRU (g), LSTM (h, c), SimpleRNN (s): Keras [g, h, c, s], TF.js
        // [s, h, c, g].
        assert_eq!(tfjs_order(&[1, 2, 1]), vec![3, 1, 2, 0]);
        assert_eq!(tfjs_order(&[2, 2]), vec![2, 3, 0, 1]);
    }

    fn cell(class: &str, units: usize) -> serde_json::Value {
        json!({"class_name": class, "config": {"units": units, "reset_after": false}})
    }

    /// A Keras model: a stack returning its states, each read, and a second
    /// stack started from them.
    fn stack_model() -> Vec<serde_json::Value> {
        let cells = || {
            json!([
                cell("GRUCell", 4),
                cell("LSTMCell", 3),
                cell("SimpleRNNCell", 2)
            ])
        };
        let mut layers = vec![
            entry_on("r", "Reshape", json!({"target_shape": [2, 3]}), "x"),
            entry_on(
                "stack",
                "RNN",
                json!({"cell": cells(), "return_state": true}),
                "r",
            ),
            entry(
                "again",
                "RNN",
                json!({"cell": cells()}),
                vec![json!([
                    ["r", 0, 0, {}],
                    ["stack", 0, 1, {}],
                    ["stack", 0, 2, {}],
                    ["stack", 0, 3, {}],
                    ["stack", 0, 4, {}]
                ])],
            ),
        ];
        let mut cat: Vec<serde_json::Value> = (0..5).map(|i| json!(["stack", 0, i, {}])).collect();
        cat.push(json!(["again", 0, 0, {}]));
        layers.push(entry(
            "cat",
            "Concatenate",
            json!({"axis": -1}),
            vec![serde_json::Value::Array(cat)],
        ));
        layers
    }

    #[test]
    fn a_keras_stacks_states_are_read_and_given_in_tfjs_order() {
        let model = functional_from(&[6], stack_model(), 3, Some("2.21.0"));
        let out = assert_same(&model, &input(&[2, 6]), 0.0);
        assert_note(
            &out,
            "stack (RNN): its cell stack's states are returned and taken",
        );
        assert_note(&out, "again (RNN): its cell stack's states");
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        // g, h, c are TF.js's outputs 4, 2, 3; s (TF.js's 1) is the output,
        // read as output 0 (rnn_state_alias), whose repeat in the call
        // reads through a copy (repeated_inputs).
        assert_eq!(
            layer_named(topology, "cat")["inbound_nodes"][0],
            json!([
                ["stack", 0, 0, {}],
                ["stack", 0, 4, {}],
                ["stack", 0, 2, {}],
                ["stack", 0, 3, {}],
                ["stack_copy_1", 0, 0, {}],
                ["again", 0, 0, {}]
            ])
        );
        assert_eq!(
            layer_named(topology, "again")["inbound_nodes"][0],
            json!([
                ["r", 0, 0, {}],
                ["stack", 0, 0, {}],
                ["stack", 0, 2, {}],
                ["stack", 0, 3, {}],
                ["stack", 0, 4, {}]
            ])
        );
    }
}
