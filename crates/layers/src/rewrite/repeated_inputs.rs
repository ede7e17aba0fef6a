//! A tensor passed to one call twice (`cmp([a, a])`, an LSTM's initial
//! states `[o, o]`) where it has another consumer: TensorFlow.js 4.22's
//! `execute` (tfjs-layers `engine/executor.ts`) counts the recipients of a
//! tensor as a set of the symbolic tensors computed from it (one per
//! consuming call and used output), but decrements the count once per
//! input slot of each call it runs, disposing the tensor when the count
//! reaches 0. A repeated slot therefore frees the tensor while another
//! consumer (another call, or another used output of a multi-output call,
//! which `execute` runs once per output) still needs it, and `predict`
//! fails ("Tensor is disposed", "Cannot read properties of null (reading
//! 'backend')"), found by loading rebuilt Siamese models in real TF.js. A
//! call that is the tensor's only consumer, with one used output
//! (`Multiply([x, x])`), frees it only after running and is kept. Each
//! repeat after the first in such a call reads the tensor through its own
//! `Activation("linear")` layer (the same values), so every slot is a
//! distinct tensor with one recipient.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A tensor of the topology: `(layer, node, index)`.
type Tensor = (String, u64, u64);

fn tensor(entry: &Value) -> Option<Tensor> {
    let t = entry.as_array()?;
    Some((
        t.first()?.as_str()?.to_string(),
        t.get(1)?.as_u64()?,
        t.get(2)?.as_u64()?,
    ))
}

/// The input slots of each call of the functional layer entries `layers`:
/// `(layer position, node position, slot entries)`.
fn calls(layers: &[Value]) -> impl Iterator<Item = (usize, usize, &Vec<Value>)> {
    layers.iter().enumerate().flat_map(|(l, layer)| {
        tfjs_format::topology::entry_calls(layer)
            .enumerate()
            .map(move |(n, slots)| (l, n, slots))
    })
}

/// Give each repeated input slot of `layers` (one functional model's
/// layer entries; `outputs` its `output_layers`) that TF.js would free too
/// early its own linear `Activation`; returns the layer entries to append
/// and one note per repeat. `taken` holds the names in use (the new
/// layers' names are added).
pub fn rewrite(
    layers: &mut [Value],
    outputs: Option<&Value>,
    taken: &mut HashSet<String>,
) -> (Vec<Value>, Vec<String>) {
    let (mut extra, mut notes) = (Vec::new(), Vec::new());
    // Consuming calls of each tensor, and the outputs used of each call.
    let mut consumers: HashMap<Tensor, HashSet<(usize, usize)>> = HashMap::new();
    let mut used: HashMap<(String, u64), HashSet<u64>> = HashMap::new();
    for (l, n, slots) in calls(layers) {
        for t in slots.iter().filter_map(tensor) {
            used.entry((t.0.clone(), t.1)).or_default().insert(t.2);
            consumers.entry(t).or_default().insert((l, n));
        }
    }
    for t in outputs
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(tensor)
    {
        used.entry((t.0, t.1)).or_default().insert(t.2);
    }
    let mut repeats = Vec::new();
    for (l, n, slots) in calls(layers) {
        let name = tfjs_format::topology::layer_entry_name(&layers[l]).unwrap_or("");
        let outputs_used = used
            .get(&(name.to_string(), n as u64))
            .map_or(0, HashSet::len);
        let mut seen = HashSet::new();
        for (s, t) in slots.iter().enumerate() {
            let Some(t) = tensor(t) else { continue };
            let shared = consumers.get(&t).map_or(0, HashSet::len) > 1 || outputs_used > 1;
            if !seen.insert(t.clone()) && shared {
                repeats.push((l, n, s, t, name.to_string()));
            }
        }
    }
    for (l, n, s, (source, node, index), consumer) in repeats {
        let (name, entry) =
            super::duplicate_outputs::linear_copy("copy", &source, node, index, taken);
        notes.push(format!(
            "{} (inbound node {n}): {} passed again as input {s}, which TensorFlow.js 4.22 frees \
             while another call still reads it; read through `{}` (Activation linear)",
            crate::error::printable(&consumer),
            crate::error::printable(&source),
            crate::error::printable(&name)
        ));
        if let Some(slot) = layers[l]
            .pointer_mut(&format!("/inbound_nodes/{n}/{s}"))
            .and_then(Value::as_array_mut)
        {
            slot[0] = Value::from(name);
            slot[1] = Value::from(0);
            slot[2] = Value::from(0);
        }
        extra.push(entry);
    }
    (extra, notes)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use serde_json::Value;

    fn repeated_slots(topology: &Value) -> usize {
        let mut n = 0;
        for layer in topology["config"]["layers"].as_array().unwrap() {
            for node in tfjs_format::topology::entry_calls(layer) {
                let mut seen = std::collections::HashSet::new();
                for slot in node {
                    n += usize::from(!seen.insert(slot.as_array().unwrap()[..3].to_vec()));
                }
            }
        }
        n
    }

    #[test]
    fn a_repeated_input_with_another_consumer_reads_its_own_copy() {
        // `a` feeds `sum` and, twice, `sq`: TF.js would free it after `sq`.
        let layers = vec![
            dense("a", 3, "x"),
            entry_on_all("sq", "Multiply", json!({}), &["a", "a"]),
            entry_on_all("sum", "Add", json!({}), &["a", "sq"]),
        ];
        let model = functional(&[4], layers, 3);
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        assert_note(&out, "sq (inbound node 0): a passed again as input 1");
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(repeated_slots(topology), 0);
        assert_eq!(
            layer_named(topology, "sq")["inbound_nodes"],
            json!([[["a", 0, 0, {}], ["a_copy_1", 0, 0, {}]]])
        );
    }

    #[test]
    fn a_repeated_input_read_by_that_call_alone_is_kept() {
        let layers = vec![
            dense("a", 3, "x"),
            entry_on_all("sq", "Multiply", json!({}), &["a", "a"]),
        ];
        let model = functional(&[4], layers, 3);
        let out = assert_same(&model, &input(&[2, 4]), 0.0);
        let topology = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(repeated_slots(topology), 1);
        assert!(!out.notes.iter().any(|n| n.contains("passed again")));
    }
}
