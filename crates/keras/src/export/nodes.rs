//! Call sites the engine saves in a form only it reads back, rewritten for
//! each Keras.
//!
//! The engine saves every call as a list of `[layer, node, tensor, kwargs]`
//! references with the call's keyword arguments on the first one; tensors
//! passed as keyword arguments (`y=` of a `tf.*` function, `value=` of
//! `MultiHeadAttention`) are listed again after the positional ones, and
//! Keras 3 operation nodes (`ops.Add`, …) keep their positional arguments
//! in `_args` (a tensor as `[layer, node, tensor]`).
//!
//! - tf_keras (`.h5`): `TFOpLambda` / `SlicingOpLambda` / `MultiHeadAttention`
//!   calls get Keras 2's own form back (positional tensors only, a constant
//!   first argument as `_CONSTANT_VALUE`); Keras 3 operations become the
//!   `TFOpLambda` (or `SlicingOpLambda`, `Dot`) tf_keras writes for the same
//!   math.
//! - Keras 3 (`.keras`): those calls become Keras 3's dict-form nodes
//!   (`{"args": …, "kwargs": …}` with `__keras_tensor__` arguments); Keras 3
//!   has no `TFOpLambda`, so each `tf.*` function becomes the `keras.ops`
//!   operation node Keras 3 itself saves for the same math.
//!
//! A call with no equivalent is an error naming the layer and why.

use crate::{KerasError, Result};
use serde_json::{json, Map, Value};

mod keras3;
mod tf_keras;

pub(in crate::export) use keras3::for_keras3;
pub(in crate::export) use tf_keras::for_tf_keras;

/// The engine's class prefix of Keras 3 operation nodes.
const OPS_PREFIX: &str = "ops.";

/// A class with no weights that Keras 3 does not count among the model's
/// layers once exported: Keras 3 operations and `tf.*` functions.
pub(super) fn is_operation(class: &str) -> bool {
    class.starts_with(OPS_PREFIX) || matches!(class, "TFOpLambda" | "SlicingOpLambda")
}

/// `[layer, node, tensor]`: a tensor reference in kwargs or `_args`.
use tfjs_format::topology::is_tensor_ref as is_tensor;

/// `v` with every Keras 3 `__keras_tensor__` (kept as is inside lists
/// by the engine) as `[layer, node, tensor]`.
fn spelled(v: &Value) -> Value {
    match v {
        Value::Object(o)
            if o.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") =>
        {
            o.get("config")
                .and_then(|c| c.get("keras_history"))
                .map(triple)
                .unwrap_or(Value::Null)
        }
        Value::Array(a) => Value::Array(a.iter().map(spelled).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), spelled(v))).collect()),
        other => other.clone(),
    }
}

/// The triple of a reference `[layer, node, tensor(, kwargs)]`.
fn triple(r: &Value) -> Value {
    match r.as_array() {
        Some(a) if a.len() >= 3 => Value::Array(a[..3].to_vec()),
        _ => r.clone(),
    }
}

/// One call as the engine saved it.
struct Call {
    /// Every tensor reference, `[layer, node, tensor]`.
    refs: Vec<Value>,
    /// The call's keyword arguments (on the first reference).
    kwargs: Map<String, Value>,
}

fn parse_call(node: &Value) -> Call {
    let refs: Vec<Value> = match node.as_array() {
        Some(a) if a.first().is_some_and(Value::is_string) => vec![node.clone()],
        Some(a) => a.clone(),
        None => Vec::new(),
    };
    let kwargs = refs
        .first()
        .and_then(|r| r.get(3))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Call {
        refs: refs.iter().map(triple).collect(),
        kwargs,
    }
}

impl Call {
    /// The positional tensors: the references before the kwargs' tensors.
    fn positional(&self) -> Vec<Value> {
        // The engine's rule: tensors at any depth of the kwargs (a size
        // computed at run time inside `shape=[…]`), the engine's own
        // kwargs skipped.
        let n = tfjs_format::topology::kwarg_tensor_refs(&self.kwargs).len();
        let keep = if self.refs.len() > n {
            self.refs.len() - n
        } else {
            self.refs.len().min(1)
        };
        self.refs[..keep].to_vec()
    }

    /// The call's kwargs without the engine's own (`_args`, …).
    fn plain_kwargs(&self) -> Map<String, Value> {
        self.kwargs
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, v)| (k.clone(), spelled(v)))
            .collect()
    }

    /// A Keras 3 call's positional arguments, every tensor as `[layer,
    /// node, tensor]`. `_args` keeps them as the file spelled them, but a
    /// nested model's node index there is Keras 3's (counted from 0); the
    /// call's references, which list the same tensors in the same order,
    /// are the engine's (Keras 2's, from 1), like every other reference
    /// here: the tensors are taken from those.
    fn op_args(&self) -> Vec<Value> {
        fn from_refs(v: Value, refs: &[Value], k: &mut usize) -> Value {
            if is_tensor(&v) {
                let r = refs.get(*k).cloned().unwrap_or(v);
                *k += 1;
                return r;
            }
            match v {
                Value::Array(a) => {
                    Value::Array(a.into_iter().map(|x| from_refs(x, refs, k)).collect())
                }
                other => other,
            }
        }
        match self.kwargs.get("_args") {
            Some(Value::Array(a)) => {
                let mut k = 0;
                a.iter()
                    .map(|v| from_refs(spelled(v), &self.refs, &mut k))
                    .collect()
            }
            _ => self.refs.clone(),
        }
    }
}

/// The initial states `states` (flat, as the engine saves them) of a call
/// of the layer entry `entry`, grouped as Keras takes them: for an RNN
/// over stacked cells (`cell` a list or a `StackedRNNCells`) one group per
/// cell, a cell's single state bare and an LSTMCell's `[h, c]` as a list
/// (the structure its `return_state` gives, which both Keras write back as
/// is); other layers' states unchanged. A cell whose number of states is
/// not known, or a count that does not add up, is an error naming the
/// layer.
fn states_per_cell(
    layer: &str,
    class: &str,
    entry: &Map<String, Value>,
    states: &[Value],
) -> Result<Vec<Value>> {
    // A `Bidirectional` takes its forward then its backward states, each
    // half as its wrapped layer takes them.
    if class == "Bidirectional" && !states.is_empty() && states.len().is_multiple_of(2) {
        if let Some(inner) = entry
            .get("config")
            .and_then(|c| c.get("layer"))
            .and_then(Value::as_object)
        {
            let inner_class = inner
                .get("class_name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let half = states.len() / 2;
            let mut groups = states_per_cell(layer, inner_class, inner, &states[..half])?;
            groups.extend(states_per_cell(layer, inner_class, inner, &states[half..])?);
            return Ok(groups);
        }
    }
    let cell = entry.get("config").and_then(|c| c.get("cell"));
    let cells = match cell {
        _ if class != "RNN" || states.is_empty() => None,
        Some(Value::Array(cells)) => Some(cells),
        Some(c) if c.get("class_name").and_then(Value::as_str) == Some("StackedRNNCells") => {
            match c.pointer("/config/cells") {
                Some(Value::Array(cells)) => Some(cells),
                _ => return Err(err(layer, class, "its StackedRNNCells has no `cells` list")),
            }
        }
        _ => None,
    };
    let Some(cells) = cells else {
        return Ok(states.to_vec());
    };
    let mut groups = Vec::with_capacity(cells.len());
    let mut at = 0;
    for cell in cells {
        let cell_class = cell
            .get("class_name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let n = match cell_class {
            "LSTMCell" => 2,
            "GRUCell" | "SimpleRNNCell" => 1,
            _ => {
                return Err(err(
                    layer,
                    class,
                    format!(
                        "called with initial states over stacked cells, which Keras takes as one \
                         list per cell: the states of a {cell_class} cannot be grouped (those of \
                         LSTMCell, GRUCell and SimpleRNNCell can)"
                    ),
                ))
            }
        };
        let Some(mine) = states.get(at..at + n) else {
            break;
        };
        groups.push(match mine {
            [one] => one.clone(),
            several => Value::Array(several.to_vec()),
        });
        at += n;
    }
    if at != states.len() {
        return Err(err(
            layer,
            class,
            format!(
                "called with {} initial states; its cells take {}",
                states.len(),
                cells
                    .iter()
                    .map(|c| match c.get("class_name").and_then(Value::as_str) {
                        Some("LSTMCell") => 2,
                        _ => 1,
                    })
                    .sum::<usize>()
            ),
        ));
    }
    Ok(groups)
}

fn err(layer: &str, class: &str, msg: impl std::fmt::Display) -> KerasError {
    KerasError::msg(format!("layer `{layer}` ({class}): {msg}"))
}

/// `[layer, node, tensor, kwargs]`.
fn with_kwargs(t: &Value, kw: &Map<String, Value>) -> Value {
    let mut a = t.as_array().cloned().unwrap_or_default();
    a.truncate(3);
    a.push(Value::Object(kw.clone()));
    Value::Array(a)
}

/// Applies `f` to every layer entry of a functional config, nested
/// functional models included.
/// What [`each_layer`] hands over with each layer entry.
struct Layer {
    class: String,
    name: String,
    nodes: Vec<Value>,
}

/// A function [`each_layer`] calls with a layer entry.
type EachLayer<'a> = dyn FnMut(&mut Map<String, Value>, Layer) -> Result<()> + 'a;

/// Calls `f` with every layer entry of `config` (nested models' first)
/// and its class, name and inbound nodes.
fn each_layer(config: &mut Value, f: &mut EachLayer<'_>) -> Result<()> {
    let Some(Value::Array(layers)) = config.get_mut("layers") else {
        return Ok(());
    };
    for l in layers {
        let Value::Object(entry) = l else { continue };
        let nested = tfjs_format::topology::is_model_class(&entry_class(entry));
        if let Some(inner) = entry.get_mut("config").filter(|_| nested) {
            if inner.get("layers").is_some() {
                each_layer(inner, f)?;
            }
        }
        let layer = Layer {
            class: entry_class(entry),
            name: entry_name(entry),
            nodes: nodes_of(entry),
        };
        f(entry, layer)?;
    }
    Ok(())
}

fn entry_name(entry: &Map<String, Value>) -> String {
    entry
        .get("name")
        .or_else(|| entry.get("config").and_then(|c| c.get("name")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn entry_class(entry: &Map<String, Value>) -> String {
    entry
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn nodes_of(entry: &Map<String, Value>) -> Vec<Value> {
    entry
        .get("inbound_nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

// ---------------------------------------------------------------- tf_keras

// ---------------------------------------------------------------- Keras 3
