//! `Model` / `Functional` configs: layers with their `inbound_nodes` (Keras
//! 2 lists, Keras 3 `args`/`kwargs` dicts with `__keras_tensor__`s, tensors
//! passed as call kwargs), and the `input_layers` / `output_layers` lists.

use super::layer_entry::{auto_namer, parse_layer_entry};
use super::{as_index, model_name, object, short, topo_err, LayerSpec, ModelSpec, TensorRef};
use crate::Result;
use serde_json::{Map, Value};

pub(super) fn parse_functional(class: &str, config: &Value, path: &str) -> Result<ModelSpec> {
    let o = object(config, path, &format!("config of a {class}"))?;
    let name = model_name(o, "model1");
    let layers = o
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| topo_err(format!("{path}: model `{name}` has no `layers` list")))?;
    let mut auto_name = auto_namer();
    let mut specs = Vec::with_capacity(layers.len());
    let mut keras3 = false;
    for (i, entry) in layers.iter().enumerate() {
        let lpath = format!("{path}: model `{name}` layers[{i}]");
        let mut spec = parse_layer_entry(entry, &lpath, &mut auto_name)?;
        let nodes = entry.get("inbound_nodes").filter(|v| !v.is_null());
        if tfjs_format::topology::is_keras3_operation(entry) {
            // `keras.ops` calls on symbolic tensors (`x + 3.0`,
            // `ops.not_equal(x, 0)`) are saved as nodes whose config has no
            // `trainable`/`dtype`; "Add" is then `ops.add`, not the merge
            // layer. They are built from `ops.<class>`.
            spec.class_name = format!("{KERAS3_OPERATION_PREFIX}{}", spec.class_name);
        }
        if let Some(nodes) = nodes {
            let arr = nodes.as_array().ok_or_else(|| {
                topo_err(format!(
                    "{lpath} (`{}`): inbound_nodes must be a list, got {}",
                    spec.name,
                    short(nodes)
                ))
            })?;
            for (n, node) in arr.iter().enumerate() {
                keras3 |= is_keras3_node(node);
                let tensor_kwargs = takes_tensor_kwargs(&spec.class_name)
                    || spec.class_name.starts_with(KERAS3_OPERATION_PREFIX);
                // `Attention(use_causal_mask=True)`,
                // `ReversibleEmbedding(x, reverse=True)`: flags only, no
                // tensors.
                let keep_kwargs = tensor_kwargs
                    || matches!(
                        spec.class_name.as_str(),
                        "Attention" | "AdditiveAttention" | "ReversibleEmbedding"
                    );
                let mut refs = match node {
                    Value::Object(call) if !is_keras3_node(node) => {
                        keras2_dict_call(call, entry, &spec.name, n)?
                    }
                    _ => match keras3_dict_call(node) {
                        Some(call) => keras3_dict_refs(call, entry, &spec.name, n)?,
                        None => parse_node(node, &spec.name, n, keep_kwargs)?,
                    },
                };
                if tensor_kwargs && !is_keras3_node(node) {
                    append_kwarg_tensors(&mut refs);
                }
                // An operation's own `mask=` argument
                // (`ops.nn.dot_product_attention(..., mask=m)`): Keras
                // propagates masks through layers only, so this one is the
                // function's, kept for the operation to read or refuse.
                if let (true, Some(m)) = (
                    spec.class_name.starts_with(KERAS3_OPERATION_PREFIX),
                    node.get("kwargs")
                        .and_then(|k| k.get("mask"))
                        .filter(|m| !m.is_null()),
                ) {
                    if let Some(Value::Object(kw)) = refs.first_mut().map(|r| &mut r.kwargs) {
                        kw.insert("mask".into(), m.clone());
                    }
                }
                spec.inbound.push(refs);
            }
        }
        specs.push(spec);
    }
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for s in &specs {
        *seen.entry(s.name.as_str()).or_default() += 1;
    }
    if let Some((dup, n)) = seen.iter().find(|(_, n)| **n > 1) {
        let names: Vec<String> = specs
            .iter()
            .map(|s| format!("\"{}\"", crate::error::printable(&s.name)))
            .collect();
        return Err(topo_err(format!(
            "{path}: The name \"{}\" is used {n} times in the model. All layer names should be unique. Layer names: [{}]",
            crate::error::printable(dup),
            names.join(",")
        )));
    }
    explicit_masks(layers, &mut specs, &format!("{path}: model `{name}`"))?;
    let inputs = parse_io_list(
        o.get("input_layers"),
        &format!("{path}: model `{name}` input_layers"),
    )?;
    let mut outputs = parse_io_list(
        o.get("output_layers"),
        &format!("{path}: model `{name}` output_layers"),
    )?;
    if keras3 {
        // Keras 3 numbers a nested `Functional`'s calls from 0 in the
        // layers' `keras_history` but from 1 in `output_layers` (a
        // functional model starts with a node of its own; Keras's loader
        // subtracts it there only): in the inbound nodes' count here, so
        // that a nested model's output that is both read by a layer and a
        // model output (or from its second call) is the right call's.
        for r in &mut outputs {
            let functional = specs
                .iter()
                .any(|s| s.name == r.layer && s.class_name == "Functional");
            if functional {
                r.node = r.node.saturating_sub(1);
            }
        }
    }
    Ok(ModelSpec {
        class_name: class.to_string(),
        name,
        trainable: o.get("trainable").and_then(Value::as_bool).unwrap_or(true),
        layers: specs,
        inputs,
        outputs,
        auto_input: false,
        subclass: None,
    })
}

fn parse_io_list(v: Option<&Value>, what: &str) -> Result<Vec<TensorRef>> {
    let v = v
        .filter(|v| !v.is_null())
        .ok_or_else(|| topo_err(format!("{what}: missing")))?;
    let mut out = Vec::new();
    collect_io(v, what, &mut out)?;
    Ok(out)
}

/// The tensors of an `input_layers` / `output_layers` structure, flattened
/// in file order as Keras flattens a model's inputs and outputs: a triple,
/// a list of them, Keras 3's `{key: triple}` for dict inputs / outputs
/// (the key is the layer's name), or lists nested as the model's outputs
/// are (an RNN of stacked cells returns each cell's states as a list).
fn collect_io(v: &Value, what: &str, out: &mut Vec<TensorRef>) -> Result<()> {
    if let Some(map) = v.as_object() {
        for (k, t) in map {
            collect_io(t, &format!("{what}[\"{k}\"]"), out)?;
        }
        return Ok(());
    }
    let arr = v.as_array().ok_or_else(|| {
        topo_err(format!(
            "{what}: expected a list of [layer, node, tensor], got {}",
            short(v)
        ))
    })?;
    if arr.first().map(Value::is_string).unwrap_or(false) {
        out.push(parse_triple(v, what)?);
        return Ok(());
    }
    for (i, t) in arr.iter().enumerate() {
        if !(t.is_array() || t.is_object()) {
            return Err(topo_err(format!(
                "{what}[{i}]: expected [layer_name, node_index, tensor_index], got {}",
                short(t)
            )));
        }
        collect_io(t, &format!("{what}[{i}]"), out)?;
    }
    Ok(())
}

fn parse_triple(v: &Value, what: &str) -> Result<TensorRef> {
    let a = v.as_array().filter(|a| a.len() >= 3 || a.len() == 1);
    let bad = || {
        topo_err(format!(
            "{what}: expected [layer_name, node_index, tensor_index], got {}",
            short(v)
        ))
    };
    let a = a.ok_or_else(bad)?;
    let layer = a[0].as_str().ok_or_else(bad)?.to_string();
    let node = a.get(1).map(as_index).unwrap_or(Some(0)).ok_or_else(bad)?;
    let tensor = a.get(2).map(as_index).unwrap_or(Some(0)).ok_or_else(bad)?;
    let kwargs = a
        .get(3)
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    Ok(TensorRef {
        layer,
        node,
        tensor,
        kwargs,
    })
}

/// One element of `inbound_nodes`: list form or Keras 3 dict form.
/// Classes whose call kwargs may hold tensors (wired as extra inputs): the
/// `tf.*` functions, `MultiHeadAttention` and Keras 3's
/// `GroupQueryAttention` (`value=`, `key=`, `attention_mask=`; and the
/// `use_causal_mask` flag), `CategoryEncoding` (`count_weights=`).
fn takes_tensor_kwargs(class_name: &str) -> bool {
    matches!(
        class_name,
        "TFOpLambda"
            | "CategoryEncoding"
            | "SlicingOpLambda"
            | "MultiHeadAttention"
            | "GroupQueryAttention"
            | "GroupedQueryAttention"
    )
}

/// Calls given `mask=` a tensor of the model's own (`LSTM(8)(x, mask=m)`
/// with `m` a boolean `Input` or a comparison's output): Keras uses it in
/// place of the mask it propagates, for the call and for the mask the call
/// passes on (tf_keras and Keras 3 alike), and so does the engine
/// ([`explicit_mask_refs`]). tf_keras records only explicit masks in a
/// node's kwargs (`["x", 0, 0, {"mask": ["m", 0, 0]}]`, kept as written);
/// Keras 3 records every mask, its own ones as the output of the
/// operations that compute them (`not_equal`, `any`, …), which the engine
/// computes itself as it propagates masks (dropped), so there a mask read
/// from a layer (an `Input`, say), or from operations in a model with no
/// layer making masks (`Masking`, `Embedding(mask_zero)`: a user's
/// `ops.not_equal(ids, 0)`), is an explicit one, written here in Keras 2's
/// spelling on the call's first input. In a model that makes masks, a
/// mask computed by operations is Keras's own only when those operations
/// are the ones Keras writes ([`keras_made_mask`]); any other (a user's
/// `ops.not_equal(ids, 1)`, a comparison of another input, a
/// `logical_and` with one) is explicit. A `mask=` of another form is
/// refused, naming each layer.
fn explicit_masks(layers: &[Value], specs: &mut [LayerSpec], what: &str) -> Result<()> {
    let classes: std::collections::HashMap<String, String> = specs
        .iter()
        .map(|s| (s.name.clone(), s.class_name.clone()))
        .collect();
    // Keras 3's own masks come from `Masking` / `Embedding(mask_zero)`:
    // without one, a mask computed by operations is the model's own too.
    let own_masks = layers.iter().any(super::makes_masks);
    // Keras 3's `MultiHeadAttention` removes the masks of its inputs when
    // it runs (`Layer::node_cleared_masks`), after the model recorded the
    // masks each call was given: downstream of one, a recorded mask of
    // Keras's own can differ from the one propagated at run time, and
    // Keras uses the recorded one. There they are all kept as explicit.
    let clearing = layers
        .iter()
        .any(|e| e.get("class_name").and_then(Value::as_str) == Some("MultiHeadAttention"));
    let entries: std::collections::HashMap<String, &Value> = layers
        .iter()
        .zip(specs.iter())
        .map(|(e, s)| (s.name.clone(), e))
        .collect();
    let makers = mask_makers(&entries);
    let mut refused = Vec::new();
    for (entry, spec) in layers.iter().zip(specs.iter_mut()) {
        if !takes_explicit_mask(&spec.class_name) {
            continue;
        }
        let nodes = entry.get("inbound_nodes").and_then(Value::as_array);
        for (n, node) in nodes.into_iter().flatten().enumerate() {
            let mask = match node {
                // Keras 3: `__keras_tensor__`s (or a list of them) as
                // `[layer, node, tensor]`, unless Keras computed them.
                Value::Object(o) => {
                    let Some(m) = o.get("kwargs").and_then(|k| k.get("mask")) else {
                        continue;
                    };
                    let spelled = keras3_mask_spelling(m);
                    let refs = match mask_refs(&spelled) {
                        Some(Ok(refs)) => refs,
                        Some(Err(why)) => {
                            refused
                                .push(format!("`{}`: {why}", crate::error::printable(&spec.name)));
                            continue;
                        }
                        None => continue,
                    };
                    let keras_own = own_masks
                        && !clearing
                        && refs.iter().flatten().all(|r| {
                            classes
                                .get(&r.layer)
                                .is_some_and(|c| c.starts_with(KERAS3_OPERATION_PREFIX))
                                && keras_made_mask(&entries, &makers, &r.layer, 0)
                        });
                    if keras_own {
                        continue;
                    }
                    let Some(first) = spec.inbound.get_mut(n).and_then(|refs| refs.first_mut())
                    else {
                        continue;
                    };
                    if !first.kwargs.is_object() {
                        first.kwargs = Value::Object(Map::new());
                    }
                    if let Value::Object(kw) = &mut first.kwargs {
                        kw.insert("mask".into(), spelled);
                    }
                    continue;
                }
                Value::Array(refs) => refs
                    .iter()
                    .find_map(|r| r.get(3).filter(|k| k.get("mask").is_some())),
                _ => None,
            };
            if let Some(Err(why)) = mask.and_then(|kw| explicit_mask_refs(&spec.class_name, kw)) {
                refused.push(format!("`{}`: {why}", crate::error::printable(&spec.name)));
            }
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(topo_err(format!(
        "{what}: layers called with a mask= the engine cannot read: {}",
        refused.join(", ")
    )))
}

/// The masks Keras 3 makes itself, as the comparisons it writes: for each
/// call of an `Embedding(mask_zero=True)` its input and 0
/// (`ops.not_equal(ids, 0)`), for each call of a `Masking` its input and
/// `mask_value` (`ops.any(ops.not_equal(x, mask_value), axis=-1)`). The
/// input is its `keras_history` (`[layer, node, tensor]`).
fn mask_makers(entries: &std::collections::HashMap<String, &Value>) -> Vec<(Value, f64)> {
    let mut out = Vec::new();
    for e in entries.values() {
        let class = e.get("class_name").and_then(Value::as_str);
        let cfg = e.get("config");
        let value = match class {
            Some("Embedding")
                if cfg
                    .and_then(|c| c.get("mask_zero"))
                    .and_then(Value::as_bool)
                    == Some(true) =>
            {
                0.0
            }
            Some("Masking") => cfg
                .and_then(|c| c.get("mask_value"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            _ => continue,
        };
        for node in e
            .get("inbound_nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(h) = node.pointer("/args/0/config/keras_history") {
                out.push((h.clone(), value));
            }
        }
    }
    out
}

/// Whether the Keras 3 operation `name` (an entry of `entries`) computes a
/// mask the way Keras writes its own: its comparisons are each a mask
/// maker's (`not_equal(input, 0)` of an `Embedding(mask_zero)`'s input,
/// `not_equal(input, mask_value)` of a `Masking`'s; [`mask_makers`]), the
/// other operations only combine masks (`any`, `all`, `logical_or`, …,
/// as Keras's merges and `Masking` do; a `zeros_like` / `ones_like`
/// reads only its input's shape), and no other layer's output is read.
fn keras_made_mask(
    entries: &std::collections::HashMap<String, &Value>,
    makers: &[(Value, f64)],
    name: &str,
    depth: usize,
) -> bool {
    let Some(e) = entries.get(name).filter(|_| depth < 64) else {
        return false;
    };
    let Some(node) = e
        .get("inbound_nodes")
        .and_then(Value::as_array)
        .and_then(|n| n.first())
    else {
        return false;
    };
    let args = node.get("args").and_then(Value::as_array);
    let history = |v: &Value| v.pointer("/config/keras_history").cloned();
    match e.get("class_name").and_then(Value::as_str).unwrap_or("") {
        "NotEqual" => {
            let (Some(x), Some(c)) = (
                args.and_then(|a| a.first()).and_then(history),
                args.and_then(|a| a.get(1)).and_then(Value::as_f64),
            ) else {
                return false;
            };
            makers.iter().any(|(h, v)| *h == x && *v == c)
        }
        "ZerosLike" | "OnesLike" => true,
        "Any" | "All" | "LogicalOr" | "LogicalAnd" | "ExpandDims" | "ConvertToTensor" | "Cast"
        | "Concatenate" | "Squeeze" | "Reshape" => {
            // Every tensor argument (a list of them too) is such a mask.
            let mut tensors = Vec::new();
            fn collect(v: &Value, out: &mut Vec<Value>) {
                match v {
                    Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                    Value::Object(_) => {
                        if let Some(h) = v.pointer("/config/keras_history") {
                            out.push(h.clone());
                        }
                    }
                    _ => {}
                }
            }
            args.into_iter()
                .flatten()
                .for_each(|a| collect(a, &mut tensors));
            !tensors.is_empty()
                && tensors.iter().all(|h| {
                    h.get(0)
                        .and_then(Value::as_str)
                        .is_some_and(|l| keras_made_mask(entries, makers, l, depth + 1))
                })
        }
        _ => false,
    }
}

/// A Keras 3 mask (a `__keras_tensor__`, or a list of them and `null`s)
/// in Keras 2's spelling: `[layer, node, tensor]`s.
fn keras3_mask_spelling(m: &Value) -> Value {
    match m {
        Value::Array(a) => Value::Array(a.iter().map(keras3_mask_spelling).collect()),
        Value::Object(o)
            if o.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") =>
        {
            m.pointer("/config/keras_history")
                .cloned()
                .unwrap_or(Value::Null)
        }
        other => other.clone(),
    }
}

/// Whether a `mask=` given to a call of `class_name` is a Keras mask (the
/// `tf.*` functions' and Keras 3 operations' `mask` is an argument of
/// their own: `tf.boolean_mask(x, mask=m)`).
fn takes_explicit_mask(class_name: &str) -> bool {
    !(takes_tensor_kwargs(class_name) || class_name.starts_with(KERAS3_OPERATION_PREFIX))
}

/// The tensors a call of `class_name` is given as its Keras mask (`mask=`
/// in the call's kwargs, in Keras 2's spelling: `[layer, node, tensor]`,
/// or a list of them and `null`s, one per input), which replace the masks
/// propagated to its inputs; `None` without one, or why it cannot be read.
pub(crate) fn explicit_mask_refs(
    class_name: &str,
    kwargs: &Value,
) -> Option<std::result::Result<Vec<Option<TensorRef>>, String>> {
    if !takes_explicit_mask(class_name) {
        return None;
    }
    mask_refs(kwargs.get("mask")?)
}

fn mask_refs(m: &Value) -> Option<std::result::Result<Vec<Option<TensorRef>>, String>> {
    let triple = |v: &Value| {
        v.as_array()
            .filter(|a| a.len() >= 3 && a[0].is_string())
            .and_then(|_| parse_triple(v, "mask").ok())
    };
    match m {
        Value::Null => None,
        Value::Array(a) if a.iter().all(Value::is_null) => None,
        // Keras 3's masks of a call with a dict of tensors, none masked.
        Value::Object(o) if o.values().all(Value::is_null) => None,
        _ if triple(m).is_some() => Some(Ok(vec![triple(m)])),
        Value::Array(a) if a.iter().all(|v| v.is_null() || triple(v).is_some()) => {
            Some(Ok(a.iter().map(triple).collect()))
        }
        other => Some(Err(format!(
            "mask= {} is neither a tensor of the model nor a list of them",
            short(other)
        ))),
    }
}

/// The class-name prefix of Keras 3 operation nodes (`ops.NotEqual`).
pub const KERAS3_OPERATION_PREFIX: &str = "ops.";

fn is_keras3_node(node: &Value) -> bool {
    matches!(node, Value::Object(o) if o.contains_key("args") || o.contains_key("kwargs"))
}

/// Keras 3 call kwargs in Keras 2's spelling: a `__keras_tensor__` becomes
/// `[layer, node, tensor]`; `mask` (Keras's own masks) is dropped.
fn keras3_kwargs(kw: &Map<String, Value>) -> Map<String, Value> {
    kw.iter()
        .filter(|(k, _)| k.as_str() != "mask")
        .map(|(k, v)| {
            let hist = v
                .get("config")
                .and_then(|c| c.get("keras_history"))
                .filter(|_| {
                    v.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__")
                });
            (k.clone(), hist.cloned().unwrap_or_else(|| v.clone()))
        })
        .collect()
}

/// A tf_keras call with a dict of tensors (a nested functional model
/// built on dict inputs, called as `model(inputs)`): Keras 2 writes the
/// node as `{"age": ["age", 0, 0, {}], ...}`. Keras maps the dict to the
/// called model's inputs by key (`Functional._flatten_to_reference_inputs`:
/// the keys of the model's own inputs dict), so the tensors are listed in
/// the order the called model's `input_layers` lists its keys (the order
/// the engine gives its inputs); for any other callee, or keys that do not
/// match, in sorted key order (`tf.nest.flatten`, Keras's fallback).
fn keras2_dict_call(
    call: &Map<String, Value>,
    entry: &Value,
    layer: &str,
    index: usize,
) -> Result<Vec<TensorRef>> {
    dict_refs(call, entry, layer, index, |v, at, out| {
        if !v
            .as_array()
            .is_some_and(|a| a.first().is_some_and(Value::is_string))
        {
            return Err(topo_err(format!(
                "{at}: expected a tensor [layer_name, node_index, tensor_index] \
                 in a call with a dict of tensors, got {}",
                short(v)
            )));
        }
        out.push(parse_triple(v, at)?);
        Ok(())
    })
}

/// A Keras 3 node whose only argument is a dict of tensors
/// (`{"args": [{"age": {"class_name": "__keras_tensor__", ...}, ...}],
/// "kwargs": {}}`): a functional model built on dict inputs, called on a
/// dict. Keras 3 maps it to the model's inputs by key too.
fn keras3_dict_call(node: &Value) -> Option<&Map<String, Value>> {
    let o = node.as_object()?;
    let args = o.get("args")?.as_array()?;
    // Keras's own masks (`"mask": {"age": null, ...}`) are not call
    // arguments (dropped as in `keras3_kwargs`).
    let other_kwargs = o
        .get("kwargs")
        .and_then(Value::as_object)
        .is_some_and(|k| k.keys().any(|k| k != "mask"));
    if args.len() != 1 || other_kwargs {
        return None;
    }
    let call = args[0].as_object()?;
    let is_tensor =
        |v: &Value| v.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__");
    (!call.is_empty() && !call.contains_key("class_name") && call.values().all(is_tensor))
        .then_some(call)
}

/// [`keras3_dict_call`]'s tensors in the called model's key order (as
/// [`keras2_dict_call`]).
fn keras3_dict_refs(
    call: &Map<String, Value>,
    entry: &Value,
    layer: &str,
    index: usize,
) -> Result<Vec<TensorRef>> {
    dict_refs(call, entry, layer, index, |v, at, out| {
        collect_keras_tensors(v, out, at)
    })
}

/// The tensors of a call with a dict of tensors, each value read by `read`
/// (given its place in the file for errors), in [`dict_call_keys`]'s order.
fn dict_refs(
    call: &Map<String, Value>,
    entry: &Value,
    layer: &str,
    index: usize,
    read: impl Fn(&Value, &str, &mut Vec<TensorRef>) -> Result<()>,
) -> Result<Vec<TensorRef>> {
    let what = format!("layer `{layer}`: inbound_nodes[{index}]");
    let mut out = Vec::new();
    for k in dict_call_keys(call, entry) {
        read(&call[k], &format!("{what}[\"{k}\"]"), &mut out)?;
    }
    Ok(out)
}

/// The keys of a call with a dict of tensors in the order the called
/// model's `input_layers` dict lists them (the order of its inputs in the
/// engine), or sorted (`tree.flatten`) when the callee has no such dict or
/// other keys.
fn dict_call_keys<'a>(call: &'a Map<String, Value>, entry: &Value) -> Vec<&'a String> {
    let mut keys: Vec<&String> = call.keys().collect();
    keys.sort();
    let callee = entry
        .get("config")
        .and_then(|c| c.get("input_layers"))
        .and_then(Value::as_object);
    if let Some(callee) = callee {
        let own: Vec<&String> = callee.keys().collect();
        let mut sorted_own = own.clone();
        sorted_own.sort();
        if sorted_own == keys {
            return own
                .into_iter()
                .filter_map(|k| call.get_key_value(k).map(|(k, _)| k))
                .collect();
        }
    }
    keys
}

/// `keep_kwargs`: the layer reads its call kwargs (Keras 3's are then
/// kept, in Keras 2's spelling, on the first inbound tensor).
fn parse_node(
    node: &Value,
    layer: &str,
    index: usize,
    keep_kwargs: bool,
) -> Result<Vec<TensorRef>> {
    let what = format!("layer `{layer}`: inbound_nodes[{index}]");
    match node {
        // Keras 2's `TFOpLambda` / `SlicingOpLambda` write a call with one
        // tensor argument flat: `["x", 0, 0, {"y": 3.0}]`.
        // A constant first argument (`1.0 / x`) is written in its place:
        // `["_CONSTANT_VALUE", -1, 1.0, {"y": ["x", 0, 0]}]`; the call's
        // tensors are then all in the kwargs, and the constant travels to
        // the layer in the kwargs as `_CONSTANT_VALUE`.
        Value::Array(refs) if refs.first().and_then(Value::as_str) == Some("_CONSTANT_VALUE") => {
            let mut kwargs = match refs.get(3) {
                Some(Value::Object(kw)) => kw.clone(),
                _ => Map::new(),
            };
            let constant = refs.get(2).cloned().unwrap_or(Value::Null);
            let first = kwarg_tensors(&kwargs).into_iter().next();
            kwargs.insert("_CONSTANT_VALUE".into(), constant);
            let mut first = first.ok_or_else(|| {
                topo_err(format!(
                    "{what}: a call with a constant first argument and no tensor argument: {} \
                     (Keras 2 saves only a call's first positional argument and its keyword \
                     arguments: tensors passed positionally after the first, as in \
                     tf.einsum(equation, a, b), are not in the file)",
                    short(node)
                ))
            })?;
            // The first tensor carries the call's kwargs (the layer reads
            // them there); the kwargs' tensors are then wired by
            // `append_kwarg_tensors` (this first one is one of them).
            first.kwargs = Value::Object(kwargs);
            Ok(vec![first])
        }
        Value::Array(refs) if refs.first().is_some_and(Value::is_string) => {
            Ok(vec![parse_triple(node, &what)?])
        }
        // A list first argument mixing tensors and constants
        // (`tf.ones([tf.shape(x)[0], 1, 8])`): Keras 2 writes each element,
        // a constant as `["_CONSTANT_VALUE", -1, 1, {}]`. The list travels
        // to the layer as the kwarg `_first_arg` (tensors as `[layer, node,
        // tensor]`, wired like any kwarg tensor); its first tensor anchors
        // the call and carries the kwargs.
        // A nested list of constants (`tf.concat([tf.shape(x)[:1], [3, 8]],
        // 0)`) travels as that list of numbers.
        Value::Array(refs)
            if refs
                .iter()
                .any(|r| is_constant_entry(r) || is_constant_list(r)) =>
        {
            let mut kwargs = refs
                .iter()
                .find_map(|r| r.get(3).and_then(Value::as_object))
                .cloned()
                .unwrap_or_default();
            let mut first = None;
            let mut list = Vec::with_capacity(refs.len());
            for (i, r) in refs.iter().enumerate() {
                if is_constant_entry(r) {
                    list.push(r.get(2).cloned().unwrap_or(Value::Null));
                    continue;
                }
                if is_constant_list(r) {
                    let values = r.as_array().into_iter().flatten();
                    list.push(Value::Array(
                        values
                            .map(|c| c.get(2).cloned().unwrap_or(Value::Null))
                            .collect(),
                    ));
                    continue;
                }
                let t = parse_triple(r, &format!("{what}[{i}]"))?;
                list.push(serde_json::json!([t.layer, t.node, t.tensor]));
                first.get_or_insert(t);
            }
            // All constants (`tf.math.polyval([0.5, -1.0], x)`): the first
            // kwarg tensor anchors the call, as for a constant first
            // argument above.
            let mut first = first
                .or_else(|| kwarg_tensors(&kwargs).into_iter().next())
                .ok_or_else(|| {
                    topo_err(format!(
                        "{what}: a call whose arguments are all constants: {}",
                        short(node)
                    ))
                })?;
            kwargs.insert(
                tfjs_format::topology::FIRST_ARG_KWARG.into(),
                Value::Array(list),
            );
            first.kwargs = Value::Object(kwargs);
            Ok(vec![first])
        }
        Value::Array(refs) => {
            // Tensors in file order; a list argument (an RNN's initial
            // states of stacked cells, one list per cell) nests them.
            fn flat(refs: &[Value], what: &str, out: &mut Vec<TensorRef>) -> Result<()> {
                for (i, r) in refs.iter().enumerate() {
                    match r.as_array() {
                        Some(inner) if inner.first().is_some_and(Value::is_array) => {
                            flat(inner, &format!("{what}[{i}]"), out)?
                        }
                        _ => out.push(parse_triple(r, &format!("{what}[{i}]"))?),
                    }
                }
                Ok(())
            }
            let mut out = Vec::new();
            flat(refs, &what, &mut out)?;
            Ok(out)
        }
        Value::Object(o) if o.contains_key("args") || o.contains_key("kwargs") => {
            let mut out = Vec::new();
            if let Some(args) = o.get("args") {
                collect_keras_tensors(args, &mut out, &what)?;
            }
            if let Some(Value::Object(kw)) = o.get("kwargs") {
                for (k, v) in kw {
                    if k != "mask" {
                        collect_keras_tensors(v, &mut out, &what)?;
                    }
                }
            }
            if out.is_empty() {
                return Err(topo_err(format!(
                    "{what}: Keras 3 node has no __keras_tensor__ argument: {}",
                    short(node)
                )));
            }
            if keep_kwargs {
                let mut kwargs = match o.get("kwargs") {
                    Some(Value::Object(kw)) => keras3_kwargs(kw),
                    _ => Map::new(),
                };
                // Positional arguments too (an operation's scalars: the
                // `3.0` of `x + 3.0`), tensors as `[layer, node, tensor]`.
                if let Some(Value::Array(args)) = o.get("args") {
                    let spelled = keras3_kwargs(
                        &args
                            .iter()
                            .enumerate()
                            .map(|(i, a)| (i.to_string(), a.clone()))
                            .collect(),
                    );
                    kwargs.insert(
                        "_args".into(),
                        Value::Array(spelled.into_values().collect()),
                    );
                }
                out[0].kwargs = Value::Object(kwargs);
            }
            Ok(out)
        }
        other => Err(topo_err(format!(
            "{what}: Corrupted configuration, expected array for nodeData: {}",
            short(other)
        ))),
    }
}

/// `["_CONSTANT_VALUE", -1, value, kwargs]`: a constant in a call's list
/// of arguments.
fn is_constant_entry(v: &Value) -> bool {
    v.as_array().and_then(|a| a.first()).and_then(Value::as_str) == Some("_CONSTANT_VALUE")
}

/// A non-empty list of [`is_constant_entry`] elements (a constant list
/// inside a call's list argument).
fn is_constant_list(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(is_constant_entry))
}

/// Tensors passed to a `tf.*` function as keyword arguments (Keras 2
/// writes them as `[layer, node, tensor]` in the kwargs: `{"y": ["d", 0,
/// 0]}`) become extra inputs of the call, after the positional ones, in
/// the order of [`kwarg_tensors`]; the layer reads them back in the same
/// order.
fn append_kwarg_tensors(refs: &mut Vec<TensorRef>) {
    let mut extra = Vec::new();
    for r in refs.iter() {
        if let Value::Object(kw) = &r.kwargs {
            extra.extend(kwarg_tensors(kw));
        }
    }
    // A model re-saved by this engine already lists them after the
    // positional tensors (with the kwargs on the first): keep that.
    let same = |a: &TensorRef, b: &TensorRef| {
        (a.layer.as_str(), a.node, a.tensor) == (b.layer.as_str(), b.node, b.tensor)
    };
    let n = extra.len();
    if n > 0
        && refs.len() > n
        && refs[refs.len() - n..]
            .iter()
            .zip(&extra)
            .all(|(a, b)| same(a, b))
    {
        return;
    }
    refs.extend(extra);
}

/// The tensors in a call's kwargs, at any depth, in the order the layer
/// reads them: [`tfjs_format::topology::kwarg_tensor_refs`].
pub(crate) fn kwarg_tensors<'a>(
    kwargs: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Vec<TensorRef> {
    tfjs_format::topology::kwarg_tensor_refs(kwargs)
        .into_iter()
        .filter_map(kwarg_tensor)
        .collect()
}

/// `["layer", node, tensor]` in a kwargs value: a tensor reference.
pub(crate) fn kwarg_tensor(v: &Value) -> Option<TensorRef> {
    let a = v.as_array().filter(|a| a.len() == 3)?;
    Some(TensorRef {
        layer: a[0].as_str()?.to_string(),
        node: as_index(&a[1])?,
        tensor: as_index(&a[2])?,
        kwargs: Value::Object(Map::new()),
    })
}

fn collect_keras_tensors(v: &Value, out: &mut Vec<TensorRef>, what: &str) -> Result<()> {
    match v {
        Value::Array(a) => {
            for x in a {
                collect_keras_tensors(x, out, what)?;
            }
        }
        Value::Object(o)
            if o.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") =>
        {
            let hist = o
                .get("config")
                .and_then(|c| c.get("keras_history"))
                .ok_or_else(|| {
                    topo_err(format!("{what}: __keras_tensor__ without keras_history"))
                })?;
            let mut r = parse_triple(hist, &format!("{what}: keras_history"))?;
            r.kwargs = Value::Object(Map::new());
            out.push(r);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tf_keras writes `inner(inputs)` with `inputs` a dict as a dict node
    /// (`{"a": ["a", 0, 0, {}], ...}`, in the call dict's order); Keras
    /// maps it by key to the called model's own inputs dict, so the tensors
    /// follow the callee's `input_layers` keys ("b" first here).
    #[test]
    fn keras2_dict_call_follows_the_callee_keys() {
        let config = serde_json::json!({
            "name": "outer",
            "layers": [
                {"class_name": "InputLayer", "name": "a", "config": {"name": "a", "batch_input_shape": [null, 1]},
                 "inbound_nodes": []},
                {"class_name": "InputLayer", "name": "b", "config": {"name": "b", "batch_input_shape": [null, 1]},
                 "inbound_nodes": []},
                {"class_name": "Functional", "name": "inner",
                 "config": {"name": "inner", "layers": [],
                            "input_layers": {"b": ["b", 0, 0], "a": ["a", 0, 0]},
                            "output_layers": [["b", 0, 0]]},
                 "inbound_nodes": [{"a": ["a", 0, 0, {}], "b": ["b", 0, 0, {}]}]}
            ],
            "input_layers": {"a": ["a", 0, 0], "b": ["b", 0, 0]},
            "output_layers": [["inner", 1, 0]]
        });
        let spec = parse_functional("Functional", &config, "model").unwrap();
        let inner = spec.layers.iter().find(|l| l.name == "inner").unwrap();
        let order: Vec<&str> = inner.inbound[0].iter().map(|r| r.layer.as_str()).collect();
        assert_eq!(order, ["b", "a"]);

        // Keras 3 writes the same call as one dict argument of tensors.
        let t = |n: &str| {
            serde_json::json!({"class_name": "__keras_tensor__",
                               "config": {"shape": [null, 1], "keras_history": [n, 0, 0]}})
        };
        let node = serde_json::json!({"args": [{"a": t("a"), "b": t("b")}],
                                      "kwargs": {"mask": {"a": null, "b": null}}});
        let call = keras3_dict_call(&node).unwrap();
        let refs = keras3_dict_refs(call, &config["layers"][2], "inner", 0).unwrap();
        let order: Vec<&str> = refs.iter().map(|r| r.layer.as_str()).collect();
        assert_eq!(order, ["b", "a"]);
        // A dict the callee does not key: sorted keys, as `tree.flatten`.
        let refs = keras3_dict_refs(call, &Value::Null, "inner", 0).unwrap();
        let order: Vec<&str> = refs.iter().map(|r| r.layer.as_str()).collect();
        assert_eq!(order, ["a", "b"]);

        let bad = serde_json::json!({"a": 3});
        let err = keras2_dict_call(bad.as_object().unwrap(), &Value::Null, "inner", 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("inbound_nodes[0][\"a\"]") && err.contains("dict of tensors"),
            "{err}"
        );
    }
}
