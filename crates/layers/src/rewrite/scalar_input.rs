//! An input of one value per sample (`Input(shape=())`, `[batch]`): TF.js
//! 4.22's `predict` expands a rank-1 array to `[batch, 1]` and then refuses
//! it for a `[batch]` input. → the input declared `[batch, 1]` (what
//! TF.js feeds) and read through `Reshape([])` (`<name>_values`, back to
//! `[batch]`), every reader of the input pointed there. Copies only.

use serde_json::{json, Value};
use tfjs_format::topology::{layer_entry_class, layer_entry_name};

/// The shape key of an `InputLayer` config and its value when it is
/// `[batch]`.
fn rank1_shape_key(l: &Value) -> Option<&'static str> {
    ["batch_input_shape", "batch_shape"].into_iter().find(|k| {
        l.get("config")
            .and_then(|c| c.get(*k))
            .and_then(Value::as_array)
            .is_some_and(|s| s.len() == 1)
    })
}

/// Rewrites one functional model's `layers` (and `outputs`, its
/// `output_layers`) in place; a note per input.
pub fn rewrite(layers: &mut Vec<Value>, mut outputs: Option<&mut Value>) -> Vec<String> {
    let inputs: Vec<(usize, String, &'static str)> = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| layer_entry_class(l) == "InputLayer")
        .filter_map(|(i, l)| Some((i, layer_entry_name(l)?.to_string(), rank1_shape_key(l)?)))
        .collect();
    let mut notes = Vec::new();
    for (i, name, key) in inputs.into_iter().rev() {
        let values = format!("{name}_values");
        for l in layers.iter_mut() {
            if let Some(nodes) = l.get_mut("inbound_nodes") {
                repoint(nodes, &name, &values);
            }
        }
        if let Some(o) = outputs.as_deref_mut() {
            repoint(o, &name, &values);
        }
        layers[i]["config"][key] = json!([null, 1]);
        layers.insert(
            i + 1,
            json!({"name": values, "class_name": "Reshape",
                   "config": {"name": values, "trainable": true, "target_shape": []},
                   "inbound_nodes": [[[name, 0, 0, {}]]]}),
        );
        notes.push(format!(
            "{} (InputLayer) takes [batch, 1] (what TensorFlow.js 4.22's predict makes of one \
             value per sample), read through Reshape([])",
            crate::error::printable(&name)
        ));
    }
    notes
}

/// Points every reference `[from, 0, 0, …]` in `v` at `[to, 0, 0, …]`.
fn repoint(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::Array(a) => {
            let is_ref = (3..=4).contains(&a.len())
                && a[0].as_str() == Some(from)
                && a[1].is_u64()
                && a[2].is_u64();
            if is_ref {
                a[0] = json!(to);
                return;
            }
            a.iter_mut().for_each(|x| repoint(x, from, to));
        }
        Value::Object(m) => m.values_mut().for_each(|x| repoint(x, from, to)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn a_scalar_input_is_declared_as_tfjs_feeds_it_and_reshaped_back() {
        let layers = vec![
            entry_on(
                "emb",
                "Embedding",
                json!({"input_dim": 5, "output_dim": 2}),
                "x",
            ),
            entry_on("d", "Dense", json!({"units": 3}), "emb"),
        ];
        let model = functional(&[], layers, 4);
        let x = crate::Tensor::from_f32(vec![3], vec![0., 4., 2.]).unwrap();
        let out = super::super::rewrite_for_tfjs(&model).unwrap();
        assert_note(&out, "x (InputLayer) takes [batch, 1]");
        let t = out.artifacts.model_topology.as_ref().unwrap();
        assert_eq!(
            layer_named(t, "x")["config"]["batch_input_shape"],
            json!([null, 1])
        );
        assert_eq!(layer_named(t, "emb")["inbound_nodes"][0][0][0], "x_values");
        // The rewritten model on [batch, 1] predicts what the original does on [batch].
        let back = crate::Model::from_artifacts(&out.artifacts, &Default::default()).unwrap();
        let want = model.predict(std::slice::from_ref(&x)).unwrap();
        let x2 = crate::Tensor::from_f32(vec![3, 1], vec![0., 4., 2.]).unwrap();
        let got = back.predict(&[x2]).unwrap();
        assert_eq!(want[0].as_f32().unwrap(), got[0].as_f32().unwrap());
    }
}
