//! Helpers of the rules' tests: small functional models, inputs, and the
//! check that a rewrite loads back and predicts the same.

use super::*;
pub use super::{entry, entry_on, entry_on_all};
use crate::model::Model;
use crate::{LayerRegistry, LoadOptions, Tensor};
pub use serde_json::json;
use serde_json::Value;

/// A functional model from `layers` (functional-form entries) with
/// one input `x` of `shape` (no batch) and output the last layer.
pub fn functional(shape: &[usize], layers: Vec<Value>, seed: u64) -> Model {
    functional_from(shape, layers, seed, None)
}

/// [`functional`] as a model.json from Keras `keras_version` records it
/// (`None`: as TensorFlow.js does).
pub fn functional_from(
    shape: &[usize],
    layers: Vec<Value>,
    seed: u64,
    keras_version: Option<&str>,
) -> Model {
    let mut all = vec![json!({
        "name": "x", "class_name": "InputLayer", "inbound_nodes": [],
        "config": {"batch_input_shape": std::iter::once(Value::Null)
            .chain(shape.iter().map(|&d| Value::from(d))).collect::<Vec<_>>(),
            "dtype": "float32", "sparse": false, "name": "x"}
    })];
    let last = layers
        .last()
        .and_then(|l| l.get("name"))
        .cloned()
        .unwrap_or(Value::Null);
    all.extend(layers);
    let mut topology = json!({"class_name": "Functional", "config": {
        "name": "m", "layers": all,
        "input_layers": [["x", 0, 0]], "output_layers": [[last, 0, 0]]}});
    if let Some(v) = keras_version {
        topology["keras_version"] = json!(v);
    }
    Model::from_topology(&topology, &LayerRegistry::with_builtins(), seed).unwrap()
}

/// Deterministic inputs in [-3, 3).
pub fn input(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|i| ((i as u32).wrapping_mul(2654435761) >> 8) % 6001)
        .map(|v| v as f32 / 1000.0 - 3.0)
        .collect();
    Tensor::from_f32(shape.to_vec(), data).unwrap()
}

/// Some note of the rewrite says `text`.
pub fn assert_note(out: &Rewritten, text: &str) {
    assert!(
        out.notes.iter().any(|n| n.contains(text)),
        "no note says {text:?}: {:?}",
        out.notes
    );
}

/// A `Dense(units)` entry called on `from`.
pub fn dense(name: &str, units: usize, from: &str) -> Value {
    entry_on(name, "Dense", json!({ "units": units }), from)
}

/// Entries of the rows `[name, class, config]` of `rows` (a JSON array),
/// each called on the one before it and the first on `from`.
pub fn chain(from: &str, rows: Value) -> Vec<Value> {
    let mut prev = from.to_string();
    let rows = rows.as_array().expect("chain rows are an array");
    rows.iter()
        .map(|row| {
            let name = row[0].as_str().expect("a row's name");
            let class = row[1].as_str().expect("a row's class");
            let e = entry_on(name, class, row[2].clone(), &prev);
            prev = name.to_string();
            e
        })
        .collect()
}

/// A [`functional`] model of `layers` (weights drawn from `seed`) on
/// inputs of shape `x_shape` (batch first) rewrites to one that predicts
/// the same within `tol` ([`assert_same`]), and a note of the rewrite says
/// `note`.
pub fn assert_rewrites(x_shape: &[usize], layers: Vec<Value>, seed: u64, tol: f32, note: &str) {
    assert_rewrites_from(None, x_shape, layers, seed, tol, note);
}

/// [`assert_rewrites`] of a model.json from Keras `keras_version`
/// ([`functional_from`]).
pub fn assert_rewrites_from(
    keras_version: Option<&str>,
    x_shape: &[usize],
    layers: Vec<Value>,
    seed: u64,
    tol: f32,
    note: &str,
) {
    let model = functional_from(&x_shape[1..], layers, seed, keras_version);
    let out = assert_same(&model, &input(x_shape), tol);
    assert_note(&out, note);
}

/// The layer entry `name` of a functional `topology`.
pub fn layer_named<'t>(topology: &'t Value, name: &str) -> &'t Value {
    topology["config"]["layers"]
        .as_array()
        .and_then(|layers| layers.iter().find(|l| l["name"] == name))
        .unwrap_or_else(|| panic!("no layer {name} in {topology}"))
}

/// Rewriting `model` fails with an error that says each of `parts`.
pub fn assert_refused(model: &Model, parts: &[&str]) {
    let err = rewrite_for_tfjs(model).unwrap_err().to_string();
    for part in parts {
        assert!(err.contains(part), "{err}");
    }
}

/// Rewrite `model`, check that only TF.js classes remain, load the
/// result back and check it predicts what `model` does on `x`.
pub fn assert_same(model: &Model, x: &Tensor, tol: f32) -> Rewritten {
    let out = rewrite_for_tfjs(model).unwrap();
    let mut classes = Vec::new();
    classes_in(out.artifacts.model_topology.as_ref().unwrap(), &mut classes);
    for c in &classes {
        assert!(
            tfjs_knows(c),
            "{c} left in the rewritten model: {classes:?}"
        );
    }
    let back = Model::from_artifacts(&out.artifacts, &LoadOptions::default()).unwrap();
    let want = model.predict(std::slice::from_ref(x)).unwrap();
    let got = back.predict(std::slice::from_ref(x)).unwrap();
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w.shape(), g.shape());
        let (w, g) = (w.as_f32().unwrap(), g.as_f32().unwrap());
        for (a, b) in w.iter().zip(g) {
            assert!(
                (a - b).abs() <= tol * (1.0 + a.abs()),
                "{a} vs {b} ({:?})",
                out.notes
            );
        }
    }
    out
}

/// An `Embedding(input_dim 8, output_dim 3, mask_zero)` entry on `from`:
/// the mask-making layer of the masked-model tests.
pub fn mask_zero_embedding(name: &str, from: &str) -> Value {
    entry_on(
        name,
        "Embedding",
        json!({"input_dim": 8, "output_dim": 3, "mask_zero": true}),
        from,
    )
}

/// Ids `[3, 6]` below 8 with padding (zeros) at the end, in the middle
/// and at the start.
pub fn padded_ids() -> Tensor {
    let ids = [
        3., 1., 4., 0., 0., 0., 2., 0., 5., 5., 1., 0., 0., 0., 7., 2., 2., 6.,
    ];
    Tensor::from_f32(vec![3, 6], ids.to_vec()).unwrap()
}

/// Ids `[4, 6]` of four sequences, the second all padding unless `pooled`
/// (a masked average of nothing is Keras's 0/0), the fourth unpadded.
pub fn ids_with_a_padded_row(pooled: bool) -> Tensor {
    let pad = if pooled { 1. } else { 0. };
    let ids = [
        3., 1., 4., 0., 0., 0., 0., pad, 0., 0., 0., 0., 2., 0., 5., 5., 1., 0., 0., 7., 0., 2.,
        2., 6.,
    ];
    Tensor::from_f32(vec![4, 6], ids.to_vec()).unwrap()
}
