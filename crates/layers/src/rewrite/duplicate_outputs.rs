//! A functional model listing one tensor as two or more of its outputs
//! (`Model(x, [h, y, h])`): TensorFlow.js 4.22 warns that the outputs are
//! redundant and `predict` then fails ("Argument 'tensors[0]' passed to
//! 'concat' must be a Tensor … but got 'null'"), found by loading a
//! rebuilt tf_keras model in real TF.js. Each repeat after the first
//! becomes the output of its own `Activation("linear")` layer on that
//! tensor (the same values).

use serde_json::{json, Value};
use std::collections::HashSet;

/// Rewrite `config`'s `output_layers` (one functional model's config) so
/// that no tensor is listed twice; returns the layer entries to append
/// and one note per repeat. `taken` holds the names in use (the new
/// layers' names are added).
pub fn rewrite(config: &mut Value, taken: &mut HashSet<String>) -> (Vec<Value>, Vec<String>) {
    let (mut layers, mut notes) = (Vec::new(), Vec::new());
    let Some(outputs) = config
        .get_mut("output_layers")
        .and_then(Value::as_array_mut)
    else {
        return (layers, notes);
    };
    let mut seen = HashSet::new();
    for out in outputs.iter_mut() {
        let Some(t) = out.as_array() else { continue };
        let (Some(layer), Some(node), Some(index)) = (
            t.first().and_then(Value::as_str),
            t.get(1).and_then(Value::as_u64),
            t.get(2).and_then(Value::as_u64),
        ) else {
            continue;
        };
        if seen.insert((layer.to_string(), node, index)) {
            continue;
        }
        let (name, entry) = linear_copy("output", layer, node, index, taken);
        notes.push(format!(
            "{} (output): listed again as an output, which TensorFlow.js 4.22 cannot predict; \
             written as the output of `{}` (Activation linear)",
            crate::error::printable(layer),
            crate::error::printable(&name)
        ));
        layers.push(entry);
        *out = json!([name, 0, 0]);
    }
    (layers, notes)
}

/// An `Activation("linear")` layer entry called on the tensor
/// `[layer, node, index]` (the same values), named `<layer>_<what>_<k>`
/// for the first `k` not in `taken` (which it joins): its name and entry.
pub fn linear_copy(
    what: &str,
    layer: &str,
    node: u64,
    index: u64,
    taken: &mut HashSet<String>,
) -> (String, Value) {
    let name = (1..)
        .map(|k| format!("{layer}_{what}_{k}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_default();
    taken.insert(name.clone());
    let entry = json!({
        "name": name,
        "class_name": "Activation",
        "config": {"name": name, "trainable": true, "dtype": "float32", "activation": "linear"},
        "inbound_nodes": [[[layer, node, index, {}]]],
    });
    (name, entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_repeated_output_gets_its_own_identity_layer() {
        let mut config = json!({
            "layers": [],
            "output_layers": [["x", 0, 0], ["h", 0, 0], ["h", 0, 0], ["h", 0, 0], ["h", 0, 1]],
        });
        let mut taken: HashSet<String> = ["x", "h", "h_output_1"].map(String::from).into();
        let (layers, notes) = rewrite(&mut config, &mut taken);
        assert_eq!(notes.len(), 2);
        assert_eq!(
            config["output_layers"],
            json!([
                ["x", 0, 0],
                ["h", 0, 0],
                ["h_output_2", 0, 0],
                ["h_output_3", 0, 0],
                ["h", 0, 1]
            ])
        );
        assert_eq!(layers[0]["inbound_nodes"], json!([[["h", 0, 0, {}]]]));
        assert_eq!(layers[1]["config"]["activation"], "linear");
    }
}
