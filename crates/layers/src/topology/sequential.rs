//! `Sequential` configs (a `layers` list, or Keras 1's bare array) → a
//! chain of nodes, with the input layer explicit or auto-created
//! (`<first layer>_input`) from the first layer's input shape.

use super::layer_entry::{auto_namer, config_dtype, parse_layer_entry, stated_batch_shape};
use super::{
    as_index, model_name, short, topo_err, InputSpec, LayerKind, LayerSpec, ModelSpec, TensorRef,
};
use crate::{LayersError, Result};
use serde_json::{Map, Value};

pub(super) fn parse_sequential(config: &Value, path: &str) -> Result<ModelSpec> {
    let (name, trainable, layers) = match config {
        Value::Array(layers) => {
            if let Some(first) = layers.first() {
                let cls = first.get("class_name").and_then(Value::as_str);
                if cls.is_none() || cls == Some("Merge") {
                    return Err(topo_err(format!(
                        "{path}: Legacy serialization format not supported yet."
                    )));
                }
            }
            ("sequential_1".to_string(), true, layers)
        }
        Value::Object(o) => {
            let layers = o.get("layers").and_then(Value::as_array).ok_or_else(|| {
                topo_err(format!("{path}: When the config data for a Sequential model is not an Array, it must be an Object that contains the 'layers' field."))
            })?;
            (
                model_name(o, "sequential_1"),
                o.get("trainable").and_then(Value::as_bool).unwrap_or(true),
                layers,
            )
        }
        other => {
            return Err(topo_err(format!(
                "{path}: When the config data for a Sequential model is not an Array, it must be an Object that contains the 'layers' field. Got {}",
                short(other)
            )))
        }
    };
    let mut auto_name = auto_namer();
    let mut specs = Vec::with_capacity(layers.len() + 1);
    for (i, entry) in layers.iter().enumerate() {
        specs.push(parse_layer_entry(
            entry,
            &format!("{path}: Sequential `{name}` layers[{i}]"),
            &mut auto_name,
        )?);
    }
    if specs.is_empty() {
        return Err(topo_err(format!(
            "{path}: Sequential model `{name}` has no layers"
        )));
    }
    let auto_input = !matches!(specs[0].kind, LayerKind::Input(_));
    if auto_input {
        let first = &specs[0];
        let input = sequential_input(first)?;
        let in_name = format!("{}_input", first.name);
        let mut cfg = Map::new();
        cfg.insert(
            "batch_input_shape".into(),
            Value::Array(
                input
                    .batch_shape
                    .iter()
                    .map(|d| d.map(Value::from).unwrap_or(Value::Null))
                    .collect(),
            ),
        );
        cfg.insert("dtype".into(), Value::String(input.dtype.clone()));
        cfg.insert("sparse".into(), Value::Bool(false));
        cfg.insert("name".into(), Value::String(in_name.clone()));
        specs.insert(
            0,
            LayerSpec {
                name: in_name,
                class_name: "InputLayer".into(),
                config: cfg,
                inbound: Vec::new(),
                kind: LayerKind::Input(input),
            },
        );
    }
    for i in 1..specs.len() {
        if matches!(specs[i].kind, LayerKind::Input(_)) {
            return Err(topo_err(format!(
                "{path}: Sequential `{name}`: InputLayer `{}` may only be the first layer",
                specs[i].name
            )));
        }
        let prev = specs[i - 1].name.clone();
        let prev_nested = matches!(specs[i - 1].kind, LayerKind::Nested(_));
        specs[i].inbound = vec![vec![TensorRef {
            layer: prev,
            node: usize::from(prev_nested),
            tensor: 0,
            kwargs: Value::Object(Map::new()),
        }]];
    }
    let last = specs.last().map(|l| l.name.clone()).unwrap_or_default();
    let last_nested = matches!(specs.last().map(|l| &l.kind), Some(LayerKind::Nested(_)));
    Ok(ModelSpec {
        class_name: "Sequential".into(),
        inputs: vec![TensorRef {
            layer: specs[0].name.clone(),
            node: 0,
            tensor: 0,
            kwargs: Value::Null,
        }],
        outputs: vec![TensorRef {
            layer: last,
            node: usize::from(last_nested),
            tensor: 0,
            kwargs: Value::Null,
        }],
        name,
        trainable,
        layers: specs,
        auto_input,
        subclass: None,
    })
}

/// The input a Sequential's first (non-input) layer implies.
pub(super) fn sequential_input(first: &LayerSpec) -> Result<InputSpec> {
    if let LayerKind::Nested(m) = &first.kind {
        if let Some(r) = m.inputs.first() {
            if let Some(LayerKind::Input(i)) =
                m.layers.iter().find(|l| l.name == r.layer).map(|l| &l.kind)
            {
                return Ok(i.clone());
            }
        }
    }
    let c = &first.config;
    let get = |k: &str| c.get(k).filter(|v| !v.is_null());
    let batch_shape = if let Some(shape) = stated_batch_shape(&first.name, c)? {
        shape
    } else if let (Some(d), "Dense") = (get("input_dim"), first.class_name.as_str()) {
        vec![None, as_index(d)]
    } else if first.class_name == "Embedding" {
        vec![None, get("input_length").and_then(as_index)]
    } else {
        return Err(LayersError::config(
            &first.name,
            "The first layer in a Sequential model must get an `inputShape` or `batchInputShape` argument.",
        ));
    };
    Ok(InputSpec {
        batch_shape,
        dtype: config_dtype(c),
        sparse: false,
    })
}
