//! TensorFlow.js layers models → Keras files.
//!
//! The input is what the layers engine saves (`Model::to_artifacts`): a
//! Keras-2-style topology (`class_name`, `config.layers[]` with
//! `inbound_nodes` lists) and weights named `<layer>/<weight>` in each
//! layer's weight order. [`to_h5`] writes the tf_keras HDF5 model layout
//! (`model_config`, `model_weights/<layer>` with `weight_names`);
//! [`to_keras`] writes a Keras 3 `.keras` zip (config.json, metadata.json,
//! model.weights.h5 with `layers/<class_snake>[_n]/vars/<i>`).

use crate::h5::write::{write, WriteAttr, WriteGroup, WriteNode, WriteType};
use crate::{KerasError, Result};
use serde_json::{json, Value};
use tfjs_format::codec::{decode_weights, TensorValues};
use tfjs_format::ModelArtifacts;

mod nodes;
mod order;

/// Keras version written into exported `.h5` files (tf_keras reads it).
pub const H5_KERAS_VERSION: &str = "2.21.0";
/// Keras version written into exported `.keras` metadata.
pub const KERAS3_VERSION: &str = "3.15.1";
/// Most names in one list attribute; longer lists are split into
/// `name0`, `name1`, … as Keras does for its 64 KiB header limit.
const NAMES_PER_ATTR: usize = 2000;

struct Layer {
    name: String,
    class: String,
    config: Value,
    weights: Vec<(String, WriteType, Vec<u64>, Vec<u8>)>,
}

/// A layer of the topology: name, class, config.
type LayerEntry = (String, String, Value);

/// `{class_name, config}` of the topology and its layers, in order.
fn model_config(a: &ModelArtifacts) -> Result<(Value, Vec<LayerEntry>)> {
    let t = a
        .model_topology
        .as_ref()
        .ok_or_else(|| KerasError::msg("the model has no topology"))?;
    let mc = t.get("model_config").unwrap_or(t);
    let class = mc.get("class_name").cloned().unwrap_or(Value::Null);
    let mut config = mc.get("config").cloned().unwrap_or(Value::Null);
    if let Some(Value::Array(ls)) = config.get_mut("layers") {
        ls.iter_mut().for_each(keras_layer_config);
    }
    let layers = config
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| KerasError::msg("the topology has no config.layers"))?
        .iter()
        .map(|l| {
            let name = l
                .get("name")
                .or_else(|| l.get("config").and_then(|c| c.get("name")))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let class = l
                .get("class_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let config = l.get("config").cloned().unwrap_or(Value::Null);
            (name, class, config)
        })
        .collect();
    Ok((json!({"class_name": class, "config": config}), layers))
}

/// The TensorFlow.js forms of a layer's config (and of the layers inside
/// it: wrapped layers, cells, nested models' layers) that Keras reads
/// otherwise:
/// - TensorFlow.js's `RNN.getConfig()` spreads the cell's config into the
///   layer's (`{...cellConfig, ...baseConfig, cell}`); Keras's `RNN` takes
///   only `cell` and its own keys (`units` is "not understood"): the cell's
///   keys are dropped;
/// - TensorFlow.js writes `Reshape`'s inferred dimension as `null`; Keras
///   infers only `-1` (`null` fails in tf_keras's reshape and leaves Keras
///   3's output shape unknown).
fn keras_layer_config(layer: &mut Value) {
    let Some(Value::Object(config)) = layer.get_mut("config") else {
        return;
    };
    for key in ["layer", "backward_layer", "cell"] {
        if let Some(inner) = config.get_mut(key) {
            keras_layer_config(inner);
        }
    }
    for key in ["cells", "layers"] {
        if let Some(Value::Array(inner)) = config.get_mut(key) {
            inner.iter_mut().for_each(keras_layer_config);
        }
    }
    if let Some(Value::Array(target)) = config.get_mut("target_shape") {
        for d in target.iter_mut().filter(|d| d.is_null()) {
            *d = (-1).into();
        }
    }
    if layer.get("class_name").and_then(Value::as_str) != Some("RNN") {
        return;
    }
    let Some(Value::Object(config)) = layer.get_mut("config") else {
        return;
    };
    let cell_keys: Vec<String> = match config.get("cell").and_then(|c| c.get("config")) {
        Some(Value::Object(c)) => c
            .keys()
            .filter(|k| !matches!(k.as_str(), "name" | "trainable" | "dtype"))
            .cloned()
            .collect(),
        _ => return,
    };
    for k in cell_keys {
        config.remove(&k);
    }
}

/// The names of the layers of a nested model's `config`, at any depth.
fn inner_layer_names(config: &Value, out: &mut Vec<String>) {
    for l in config
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = l
            .get("name")
            .or_else(|| l.pointer("/config/name"))
            .and_then(Value::as_str);
        if let Some(n) = name {
            out.push(n.to_string());
        }
        if let Some(c) = l.get("config") {
            inner_layer_names(c, out);
        }
    }
}

/// The weights grouped by layer (longest layer-name prefix), in layer order.
fn layers(a: &ModelArtifacts, names: &[LayerEntry]) -> Result<Vec<Layer>> {
    let decoded = decode_weights(&a.weight_specs, &a.weight_data)
        .map_err(|e| KerasError::msg(format!("cannot decode the weights: {e}")))?;
    let mut out: Vec<Layer> = names
        .iter()
        .map(|(n, c, config)| Layer {
            name: n.clone(),
            class: c.clone(),
            config: config.clone(),
            weights: Vec::new(),
        })
        .collect();
    // A nested model owns the weights of its layers (named by the inner
    // layer, as Keras 2 and TensorFlow.js name them).
    let prefixes: Vec<Vec<String>> = names
        .iter()
        .map(|(n, _, config)| {
            let mut p = vec![n.clone()];
            inner_layer_names(config, &mut p);
            p
        })
        .collect();
    for d in decoded {
        let owner = prefixes
            .iter()
            .enumerate()
            .flat_map(|(i, ps)| ps.iter().map(move |p| (i, p)))
            .filter(|(_, p)| d.name.starts_with(&format!("{p}/")))
            .max_by_key(|(_, p)| p.len())
            .map(|(i, _)| i)
            .ok_or_else(|| {
                KerasError::msg(format!(
                    "weight `{}` belongs to no layer of the topology",
                    d.name
                ))
            })?;
        let (t, bytes) = match d.values {
            TensorValues::Float32(v) => (
                WriteType::F32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            TensorValues::Int32(v) => (
                WriteType::I32,
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            _ => {
                return Err(KerasError::msg(format!(
                    "weight `{}`: only float32/int32 weights export",
                    d.name
                )))
            }
        };
        let shape = d.shape.iter().map(|&x| x as u64).collect();
        out[owner].weights.push((d.name, t, shape, bytes));
    }
    Ok(out)
}

/// A functional model's layers (config and weights) in the order Keras
/// gives them ([`order`]): it numbers `.keras` weight paths and matches
/// `.h5` weights in that order, so a config in another order (a rewritten
/// model) would give its weights to the wrong layers.
fn keras_layer_order(mc: &mut Value, layers: &mut [Layer]) {
    if !matches!(
        mc.get("class_name").and_then(Value::as_str),
        Some("Functional" | "Model")
    ) {
        return;
    }
    let Some(order) = mc.get("config").and_then(order::keras_layer_order) else {
        return;
    };
    let rank: std::collections::HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let of = |name: Option<&str>| {
        name.and_then(|n| rank.get(n).copied())
            .unwrap_or(usize::MAX)
    };
    layers.sort_by_key(|l| of(Some(l.name.as_str())));
    if let Some(Value::Array(entries)) = mc.pointer_mut("/config/layers") {
        entries.sort_by_key(|e| {
            of(e.get("name")
                .or_else(|| e.pointer("/config/name"))
                .and_then(Value::as_str))
        });
    }
}

fn name_list(attrs: &mut Vec<(String, WriteAttr)>, key: &str, names: Vec<String>) {
    if names.len() <= NAMES_PER_ATTR {
        attrs.push((key.to_string(), WriteAttr::List(names)));
    } else {
        for (i, chunk) in names.chunks(NAMES_PER_ATTR).enumerate() {
            attrs.push((format!("{key}{i}"), WriteAttr::List(chunk.to_vec())));
        }
    }
}

/// keras.applications' `LayerScale` (ConvNeXt: `x * gamma` over the last
/// axis) is no tf_keras layer tf_keras deserializes without the
/// application's code; it is written as the `Rescaling` with `scale` =
/// gamma and `offset` 0 (the same product, broadcast over the last axis)
/// and no weights.
fn tf_keras_layer_scale(mc: &mut Value, layers: &mut [Layer]) -> Result<()> {
    let Some(Value::Array(entries)) = mc.pointer_mut("/config/layers") else {
        return Ok(());
    };
    for l in layers.iter_mut().filter(|l| l.class == "LayerScale") {
        let gamma: Vec<f32> = match l.weights.as_slice() {
            [(_, WriteType::F32, _, data)] => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            _ => {
                return Err(KerasError::msg(format!(
                    "layer `{}` (LayerScale): expected one float32 weight (gamma)",
                    l.name
                )))
            }
        };
        let entry = entries
            .iter_mut()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(l.name.as_str()))
            .ok_or_else(|| KerasError::msg(format!("layer `{}` not in the topology", l.name)))?;
        entry["class_name"] = "Rescaling".into();
        entry["config"] = json!({"name": l.name, "trainable": true, "dtype": "float32",
                                 "scale": gamma, "offset": 0.0});
        l.class = "Rescaling".into();
        l.weights.clear();
    }
    Ok(())
}

/// Layer classes the engine runs that only Keras 3 has (random
/// augmentation layers aside: they are the identity at inference and are
/// rewritten away).
const KERAS3_ONLY_CLASSES: &[&str] = &["RMSNormalization"];

/// tf_keras has no `hard_silu` (`hard_swish`) activation (and its
/// `hard_sigmoid` is `0.2x + 0.5` clipped, not Keras 3's `x / 6 + 0.5`, so
/// it cannot be built from that), nor the layers of [`KERAS3_ONLY_CLASSES`]:
/// a layer using one is an error naming it.
fn tf_keras_lacks(mc: &Value) -> Result<()> {
    for l in mc
        .pointer("/config/layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if l.pointer("/config/layers").is_some() {
            tf_keras_lacks(l)?;
            continue;
        }
        let name = l
            .pointer("/config/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let class = l.get("class_name").and_then(Value::as_str).unwrap_or("");
        let act = l.pointer("/config/activation").and_then(Value::as_str);
        if let Some(a @ ("hard_silu" | "hard_swish")) = act {
            return Err(KerasError::msg(format!(
                "layer `{name}` ({class}): activation `{a}` has no tf_keras equivalent \
                 (tf_keras has no hard_silu, and its hard_sigmoid computes 0.2x + 0.5); \
                 export to .keras instead"
            )));
        }
        if KERAS3_ONLY_CLASSES.contains(&class) {
            return Err(KerasError::msg(format!(
                "layer `{name}` ({class}): tf_keras 2.21 has no {class} layer; export to \
                 .keras instead"
            )));
        }
    }
    Ok(())
}

/// A tf_keras HDF5 model file (`tf_keras.models.load_model` reads it).
pub fn to_h5(a: &ModelArtifacts) -> Result<Vec<u8>> {
    let (mut mc, names) = model_config(a)?;
    let mut layers = layers(a, &names)?;
    keras_layer_order(&mut mc, &mut layers);
    tf_keras_layer_scale(&mut mc, &mut layers)?;
    if let Some(c) = mc.get_mut("config") {
        nodes::for_tf_keras(c)?;
    }
    one_sided_keys(&mut mc, KERAS3_ONLY_KEYS, false)?;
    tf_keras_lacks(&mc)?;
    let mut root = WriteGroup::default();
    root.attrs
        .push(("backend".into(), WriteAttr::Str("tensorflow".into())));
    root.attrs.push((
        "keras_version".into(),
        WriteAttr::Str(H5_KERAS_VERSION.into()),
    ));
    root.attrs
        .push(("model_config".into(), WriteAttr::Str(mc.to_string())));
    let mw = root.group_mut("model_weights").expect("fresh group");
    mw.attrs
        .push(("backend".into(), WriteAttr::Str("tensorflow".into())));
    mw.attrs.push((
        "keras_version".into(),
        WriteAttr::Str(H5_KERAS_VERSION.into()),
    ));
    // Sequential models do not list their InputLayer among model.layers.
    let sequential = mc.get("class_name").and_then(Value::as_str) == Some("Sequential");
    let listed: Vec<String> = layers
        .iter()
        .filter(|l| !(sequential && l.class == "InputLayer"))
        .map(|l| l.name.clone())
        .collect();
    name_list(&mut mw.attrs, "layer_names", listed);
    for l in &layers {
        if sequential && l.class == "InputLayer" {
            continue;
        }
        let g = mw.group_mut(&l.name).ok_or_else(|| {
            KerasError::msg(format!("layer `{}` clashes with a weight path", l.name))
        })?;
        let weight_names = l.weights.iter().map(|w| w.0.clone()).collect();
        name_list(&mut g.attrs, "weight_names", weight_names);
        for (name, t, shape, data) in &l.weights {
            let (dir, leaf) = name.rsplit_once('/').unwrap_or(("", name));
            let parent = g.group_mut(dir).ok_or_else(|| {
                KerasError::msg(format!("weight `{name}` clashes with another weight"))
            })?;
            parent.children.insert(
                leaf.to_string(),
                WriteNode::Dataset {
                    dtype: *t,
                    shape: shape.clone(),
                    data: data.clone(),
                },
            );
        }
    }
    Ok(write(&root))
}

/// Keras's `to_snake_case` for class names (`Conv2D` → `conv2d`,
/// `BatchNormalization` → `batch_normalization`, `ReLU` → `re_lu`): drop
/// non-word characters, `(.)([A-Z][a-z]+)` → `\1_\2`, then
/// `([a-z])([A-Z])` → `\1_\2`, lowercased.
///
/// ```
/// use tfjs_keras::export::snake_case;
/// assert_eq!(snake_case("Conv2D"), "conv2d");
/// assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
/// assert_eq!(snake_case("ReLU"), "re_lu");
/// assert_eq!(snake_case("GlobalAveragePooling2D"), "global_average_pooling2d");
/// assert_eq!(snake_case("DepthwiseConv2D"), "depthwise_conv2d");
/// ```
pub fn snake_case(name: &str) -> String {
    let c: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let mut s1 = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let upper_lower = |k: usize| {
            c.get(k).is_some_and(char::is_ascii_uppercase)
                && c.get(k + 1).is_some_and(char::is_ascii_lowercase)
        };
        if upper_lower(i + 1) {
            s1.extend([c[i], '_', c[i + 1]]);
            i += 2;
            while c.get(i).is_some_and(char::is_ascii_lowercase) {
                s1.push(c[i]);
                i += 1;
            }
        } else {
            s1.push(c[i]);
            i += 1;
        }
    }
    let mut out = String::new();
    for (k, &ch) in s1.iter().enumerate() {
        if k > 0 && ch.is_ascii_uppercase() && s1[k - 1].is_ascii_lowercase() {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// Where Keras 3 keeps the variables of a layer of `class` (with
/// `config`) saved under `base`, in the layer's weight order; `n` is the
/// layer's number of weights. Recurrent layers keep theirs in `cell`,
/// `StackedRNNCells` in `cells/<cell_class>[_n]`, wrappers in `layer`
/// (`TimeDistributed`) or `forward_layer` / `backward_layer`.
fn keras3_var_paths(base: &str, class: &str, config: &Value, n: usize) -> Vec<String> {
    let inner = |key: &str| {
        let l = config.get(key).filter(|l| l.is_object());
        let class = l
            .and_then(|l| l.get("class_name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        (
            class.to_string(),
            l.and_then(|l| l.get("config"))
                .cloned()
                .unwrap_or(Value::Null),
        )
    };
    match class {
        "LSTM" | "GRU" | "SimpleRNN" | "ConvLSTM1D" | "ConvLSTM2D" | "ConvLSTM3D" => {
            (0..n).map(|i| format!("{base}/cell/vars/{i}")).collect()
        }
        "RNN" => {
            let (c, cc) = inner("cell");
            keras3_var_paths(&format!("{base}/cell"), &c, &cc, n)
        }
        "StackedRNNCells" => {
            let cells = config.get("cells").and_then(Value::as_array);
            let mut used = std::collections::BTreeMap::<String, usize>::new();
            let mut out = Vec::new();
            for cell in cells.into_iter().flatten() {
                let c = cell.get("class_name").and_then(Value::as_str).unwrap_or("");
                let cc = cell.get("config").cloned().unwrap_or(Value::Null);
                let snake = snake_case(c);
                let k = used.entry(snake.clone()).or_insert(0);
                let name = if *k == 0 {
                    snake.clone()
                } else {
                    format!("{snake}_{k}")
                };
                *k += 1;
                let bias = cc.get("use_bias").and_then(Value::as_bool).unwrap_or(true);
                let m = 2 + usize::from(bias);
                out.extend(keras3_var_paths(&format!("{base}/cells/{name}"), c, &cc, m));
            }
            // A cell this mapping does not know keeps the flat layout.
            if out.len() == n {
                out
            } else {
                (0..n).map(|i| format!("{base}/vars/{i}")).collect()
            }
        }
        "Bidirectional" => {
            let half = n / 2;
            let (fc, fcc) = inner("layer");
            let (bc, bcc) = match inner("backward_layer") {
                (c, _) if c.is_empty() => (fc.clone(), fcc.clone()),
                b => b,
            };
            let mut out = keras3_var_paths(&format!("{base}/forward_layer"), &fc, &fcc, half);
            out.extend(keras3_var_paths(
                &format!("{base}/backward_layer"),
                &bc,
                &bcc,
                n - half,
            ));
            out
        }
        // Its EinsumDense projections, in TensorFlow.js's weight order.
        "MultiHeadAttention" => {
            let bias = config
                .get("use_bias")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let per = 1 + usize::from(bias);
            let subs = ["query_dense", "key_dense", "value_dense", "output_dense"];
            if n != per * subs.len() {
                return (0..n).map(|i| format!("{base}/vars/{i}")).collect();
            }
            subs.iter()
                .flat_map(|s| (0..per).map(move |i| format!("{base}/{s}/vars/{i}")))
                .collect()
        }
        _ => (0..n).map(|i| format!("{base}/vars/{i}")).collect(),
    }
}

/// Where Keras 3 keeps the variables of a layer saved under `base`, for
/// each of its `weights` (named `<layer>/<weight>` by the layer that holds
/// them, at any depth): a nested model's by its inner layers
/// ([`keras3_nested_model_paths`]), `TimeDistributed`'s under `layer` (a
/// model there too), any other layer's by [`keras3_var_paths`].
fn keras3_weight_paths(base: &str, class: &str, config: &Value, weights: &[&str]) -> Vec<String> {
    if config.get("layers").is_some() {
        return keras3_nested_model_paths(base, config, weights);
    }
    match (class, config.get("layer")) {
        ("TimeDistributed", Some(inner)) => {
            // The engine names a wrapper's weights `<wrapper>/<inner>/…`.
            let own = config.get("name").and_then(Value::as_str).unwrap_or("");
            let weights: Vec<&str> = weights
                .iter()
                .map(|w| {
                    w.strip_prefix(own)
                        .and_then(|w| w.strip_prefix('/'))
                        .unwrap_or(w)
                })
                .collect();
            let class = inner
                .get("class_name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let config = inner.get("config").unwrap_or(&Value::Null);
            keras3_weight_paths(&format!("{base}/layer"), class, config, &weights)
        }
        _ => keras3_var_paths(base, class, config, weights.len()),
    }
}

/// The names of the layer `entry` and of every layer inside it (nested
/// models' layers, wrappers' `layer` / `backward_layer`): the names its
/// weights may start with.
fn names_within(entry: &Value, out: &mut Vec<String>) {
    if let Some(n) = entry
        .get("name")
        .or_else(|| entry.pointer("/config/name"))
        .and_then(Value::as_str)
    {
        out.push(n.to_string());
    }
    let Some(config) = entry.get("config") else {
        return;
    };
    for l in config
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        names_within(l, out);
    }
    for key in ["layer", "backward_layer"] {
        if let Some(l) = config.get(key) {
            names_within(l, out);
        }
    }
}

/// Where Keras 3 keeps the variables of a nested model (`config` with
/// `layers`) saved under `base`: `layers/<class_snake>[_n]/…` per inner
/// layer (Keras 3's `Model.layers`, without the InputLayer), each weight
/// (named `<inner layer>/<weight>`) at its inner layer's path.
fn keras3_nested_model_paths(base: &str, config: &Value, weights: &[&str]) -> Vec<String> {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let mut by_weight = std::collections::BTreeMap::<&str, String>::new();
    for l in config
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let class = l.get("class_name").and_then(Value::as_str).unwrap_or("");
        if class == "InputLayer" {
            continue;
        }
        let inner = l.get("config").cloned().unwrap_or(Value::Null);
        let mut names = Vec::new();
        names_within(l, &mut names);
        let snake = snake_case(class);
        let n = counts.entry(snake.clone()).or_insert(0);
        let sub = if *n == 0 {
            format!("{base}/layers/{snake}")
        } else {
            format!("{base}/layers/{snake}_{n}")
        };
        *n += 1;
        let mine: Vec<&str> = weights
            .iter()
            .copied()
            .filter(|w| names.iter().any(|n| w.starts_with(&format!("{n}/"))))
            .collect();
        let paths = keras3_weight_paths(&sub, class, &inner, &mine);
        by_weight.extend(mine.into_iter().zip(paths));
    }
    weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            by_weight
                .get(w)
                .cloned()
                .unwrap_or_else(|| format!("{base}/vars/{i}"))
        })
        .collect()
}

/// Keras 2 (and TensorFlow.js) count a nested model's calls from node 1
/// (node 0 is the one its own construction made); Keras 3 from node 0.
/// Shifts every call's reference to a nested model's output down by one,
/// and the model's outputs that name a nested `Sequential`, in `mc` and the
/// models nested in it.
fn keras3_nested_node_indices(mc: &mut Value) {
    let Some(Value::Array(layers)) = mc.pointer_mut("/config/layers") else {
        return;
    };
    layers
        .iter_mut()
        .filter(|l| l.pointer("/config/layers").is_some())
        .for_each(keras3_nested_node_indices);
    let nested: std::collections::BTreeSet<String> = layers
        .iter()
        .filter(|l| l.pointer("/config/layers").is_some())
        .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    if nested.is_empty() {
        return;
    }
    fn shift(v: &mut Value, nested: &std::collections::BTreeSet<String>) {
        if let Value::Array(items) = v {
            let is_ref = items
                .first()
                .and_then(Value::as_str)
                .is_some_and(|n| nested.contains(n))
                && items.get(1).is_some_and(Value::is_u64);
            if is_ref {
                let k = items[1].as_u64().unwrap_or(0);
                items[1] = k.saturating_sub(1).into();
                return;
            }
            items.iter_mut().for_each(|x| shift(x, nested));
        }
    }
    for l in layers.iter_mut() {
        if let Some(nodes) = l.get_mut("inbound_nodes") {
            shift(nodes, &nested);
        }
    }
    // The model's outputs are read by `get_tensor`, which takes one off a
    // nested `Functional` model's node index itself (Keras 3 writes them
    // counted from 1); a nested `Sequential`'s are counted from 0.
    let sequential: std::collections::BTreeSet<String> = layers
        .iter()
        .filter(|l| l.get("class_name").and_then(Value::as_str) == Some("Sequential"))
        .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    if let Some(v) = mc.pointer_mut("/config/output_layers") {
        shift(v, &sequential);
    }
}

/// Where Keras 3 finds a layer class, as it writes it: `(module,
/// class_name, registered_name)`. Models nested as layers are `Functional`
/// / `Sequential`; keras.applications' `LayerScale` (ConvNeXt) lives outside
/// `keras.layers`.
fn keras3_class_location(class: &str) -> (&'static str, &str, Value) {
    match class {
        "Functional" | "Model" => (
            "keras.src.models.functional",
            "Functional",
            "Functional".into(),
        ),
        "Sequential" => ("keras", "Sequential", Value::Null),
        "LayerScale" => ("keras.src.applications.convnext", class, Value::Null),
        _ => ("keras.layers", class, Value::Null),
    }
}

/// Gives every layer of `mc` (nested models' layers, wrappers' `layer` /
/// `backward_layer` and recurrent layers' `cell` / `cells` included) the
/// `module` Keras 3 deserializes it by. Without one, Keras 3 reads a layer
/// through its legacy (Keras 2) path, which turns string config values
/// that name a Keras function (`Attention`'s `score_mode: "dot"`) into the
/// function and knows no `Sequential` inside a wrapper. Entries that have
/// a module (Keras 3 operations) keep it.
fn keras3_modules(entry: &mut Value) {
    let Value::Object(o) = entry else { return };
    if let Some(class) = o.get("class_name").and_then(Value::as_str) {
        if !o.contains_key("module") {
            let (module, class, registered) = keras3_class_location(class);
            let class = class.to_string();
            o.insert("module".into(), module.into());
            o.insert("class_name".into(), class.into());
            o.insert("registered_name".into(), registered);
        }
    }
    let Some(Value::Object(config)) = o.get_mut("config") else {
        return;
    };
    for key in ["layers", "layer", "backward_layer", "cell", "cells"] {
        match config.get_mut(key) {
            Some(Value::Array(a)) => a.iter_mut().for_each(keras3_modules),
            Some(v @ Value::Object(_)) => keras3_modules(v),
            _ => {}
        }
    }
}

/// A config key only one Keras takes: `(class, key, value)`, where `value`
/// (JSON) is how the other Keras behaves without the key; the key is
/// dropped when it holds that value (or `null`), any value for `None`.
type OneSidedKey = (&'static str, &'static str, Option<&'static str>);

/// Keras 2 keys Keras 3's constructors reject ("Unrecognized keyword
/// arguments"): `MultiHeadAttention`'s build shapes (Keras 3 builds on the
/// first call), the random layers' `rng_type` (`"*"`: every random layer),
/// `Discretization`'s `trainable` (its Keras 3 constructor takes none; it
/// has no weights to train), the ConvLSTM layers' `implementation` (Keras
/// 3's `ConvLSTM*D` take none; it picks no kernel variant there).
const KERAS2_ONLY_KEYS: &[OneSidedKey] = &[
    ("ConvLSTM1D", "implementation", None),
    ("ConvLSTM2D", "implementation", None),
    ("ConvLSTM3D", "implementation", None),
    ("MultiHeadAttention", "query_shape", None),
    ("MultiHeadAttention", "key_shape", None),
    ("MultiHeadAttention", "value_shape", None),
    (
        "MultiHeadAttention",
        "softmax_robust_masking",
        Some("false"),
    ),
    ("*", "rng_type", None),
    ("Discretization", "trainable", Some("true")),
    // Dropout is the identity at inference: its noise shape plays no part.
    ("SpatialDropout1D", "noise_shape", None),
    ("SpatialDropout2D", "noise_shape", None),
    ("SpatialDropout3D", "noise_shape", None),
    // Keras 3's spatial dropouts take no `trainable` (and hold no weights).
    ("SpatialDropout1D", "trainable", None),
    ("SpatialDropout2D", "trainable", None),
    ("SpatialDropout3D", "trainable", None),
];

/// Keras 3 keys tf_keras rejects ("Keyword argument not understood"):
/// `MultiHeadAttention`'s `use_gate` and `sliding_window` (tf_keras has
/// neither) and its dropout `seed` (dropout is the identity at inference), the random
/// layers' `data_format` (tf_keras is channels-last) and `value_range` of
/// `RandomContrast` (random layers are the identity at inference, the only
/// use of an exported model this check covers), `IntegerLookup`'s OOV
/// hashing (tf_keras hashes by floormod, unsalted).
const KERAS3_ONLY_KEYS: &[OneSidedKey] = &[
    ("MultiHeadAttention", "use_gate", Some("false")),
    ("MultiHeadAttention", "sliding_window", Some("null")),
    ("MultiHeadAttention", "seed", None),
    ("*", "data_format", Some("\"channels_last\"")),
    ("RandomContrast", "value_range", None),
    ("IntegerLookup", "oov_method", Some("\"floormod\"")),
    ("IntegerLookup", "salt", Some("null")),
    ("StringLookup", "oov_method", Some("\"farmhash\"")),
    ("StringLookup", "salt", Some("null")),
    // Keras 3.15's Dense / EinsumDense / Embedding: null unless quantized.
    ("Dense", "quantization_config", Some("null")),
    ("EinsumDense", "quantization_config", Some("null")),
    ("Embedding", "quantization_config", Some("null")),
    // Keras 3's LayerNormalization can scale by the root mean square.
    ("LayerNormalization", "rms_scaling", Some("false")),
];

/// Keras 3.15's initializers (`GlorotUniform`, …) save `input_axes` /
/// `output_axes` (the axes their fans are computed over when initializing),
/// which tf_keras's reject; exported weights are loaded, not initialized.
fn initializer_axes(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("class_name") {
                if let Some(Value::Object(c)) = o.get_mut("config") {
                    c.remove("input_axes");
                    c.remove("output_axes");
                }
            }
            o.values_mut().for_each(initializer_axes);
        }
        Value::Array(a) => a.iter_mut().for_each(initializer_axes),
        _ => {}
    }
}

/// Drops the config keys of `table` from every layer of `mc` (nested models
/// included). A key the other Keras has no equivalent for is an error
/// naming the layer.
fn one_sided_keys(mc: &mut Value, table: &[OneSidedKey], keras3: bool) -> Result<()> {
    let target = if keras3 { "Keras 3" } else { "tf_keras" };
    let Some(Value::Array(layers)) = mc.pointer_mut("/config/layers") else {
        return Ok(());
    };
    for l in layers {
        let class = l
            .get("class_name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if l.pointer("/config/layers").is_some() {
            one_sided_keys(l, table, keras3)?;
            continue;
        }
        let Some(Value::Object(c)) = l.get_mut("config") else {
            continue;
        };
        for (cls, key, same) in table {
            let applies = *cls == class
                || (*cls == "*"
                    && (class == "RandomCrop"
                        || tfjs_format::topology::INFERENCE_IDENTITY_LAYERS
                            .contains(&class.as_str())));
            if !applies {
                continue;
            }
            let Some(v) = c.get(*key) else { continue };
            let same = same.map(|s| serde_json::from_str::<Value>(s).expect("table JSON"));
            match same {
                Some(s) if *v != s && !v.is_null() => {
                    let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                    return Err(KerasError::msg(format!(
                        "layer `{name}` ({class}): `{key}: {v}` has no {target} equivalent"
                    )));
                }
                _ => {
                    c.remove(*key);
                }
            }
        }
        if !keras3 {
            c.values_mut().for_each(initializer_axes);
        }
        // tf_keras's Discretization `dtype` is its output's (int64 for
        // integer output); Keras 3's is the compute dtype its float input
        // is cast to (its integer output dtype is fixed), so an integer one
        // would truncate the input before bucketing.
        if keras3
            && class == "Discretization"
            && c.get("dtype")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("int"))
        {
            c.insert("dtype".into(), "float32".into());
        }
        // Keras 3 saves lookup layers' float32 policy; tf_keras wants an
        // integer dtype for integer output.
        if !keras3
            && matches!(class.as_str(), "IntegerLookup" | "StringLookup")
            && c.get("output_mode").and_then(Value::as_str) == Some("int")
            && c.get("dtype")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("float"))
        {
            c.insert("dtype".into(), "int64".into());
        }
    }
    Ok(())
}

/// One layer's config as Keras 3 reads it by module (the layers wrapped in
/// it too): a one-element `axis` list is an int, as Keras 3's legacy
/// reader made it (its `BatchNormalization` takes only an int), except for
/// the layers that take several axes, and
/// `RandomShear`'s symmetric `[-f, f]` factors are `f`: Keras 3.15 saves the
/// range but its constructor takes only numbers in `[0, 1]`, so it cannot
/// load its own file otherwise. `ThresholdedReLU` is Keras 3's thresholded
/// `ReLU`.
fn keras3_layer_config(entry: &mut Value) {
    let class = entry
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(Value::Object(c)) = entry.get_mut("config") else {
        return;
    };
    // The layers taking several axes keep the list, as Keras 3 writes it.
    let takes_axes = matches!(
        class.as_str(),
        "LayerNormalization" | "Normalization" | "UnitNormalization" | "RMSNormalization"
    );
    if let (Some(Value::Array(axis)), false) = (c.get("axis"), takes_axes) {
        if let [one] = axis.as_slice() {
            let one = one.clone();
            c.insert("axis".into(), one);
        }
    }
    // Keras 3 has no ThresholdedReLU; its ReLU with a threshold computes
    // the same `x * (x > theta)` (for theta >= 0, all it accepts).
    if class == "ThresholdedReLU" {
        let theta = c.get("theta").and_then(Value::as_f64).unwrap_or(1.0);
        if theta >= 0.0 {
            c.remove("theta");
            c.insert("threshold".into(), theta.into());
            c.insert("negative_slope".into(), 0.0.into());
            c.insert("max_value".into(), Value::Null);
            entry["class_name"] = "ReLU".into();
            return;
        }
    }
    if class == "RandomShear" {
        for key in ["x_factor", "y_factor"] {
            let symmetric = match c.get(key).and_then(Value::as_array).map(Vec::as_slice) {
                Some([lo, hi]) => match (lo.as_f64(), hi.as_f64()) {
                    (Some(lo), Some(hi)) if lo == -hi && hi >= 0.0 => Some(hi),
                    _ => None,
                },
                _ => None,
            };
            if let Some(f) = symmetric {
                c.insert(key.into(), f.into());
            }
        }
    }
    for key in ["layer", "backward_layer", "cell"] {
        if let Some(inner @ Value::Object(_)) = c.get_mut(key) {
            if inner.pointer("/config/layers").is_some() {
                keras3_shapes_and_axes(inner);
            } else {
                keras3_layer_config(inner);
            }
        }
    }
}

/// Layer configs as Keras 3 reads them by module, which is what its legacy
/// reader (`keras/src/legacy/saving/saving_utils.py` `model_from_config`)
/// made of Keras 2 configs ([`keras3_layer_config`]), an `InputLayer`'s
/// `batch_input_shape` is its `batch_shape`, and other layers carry no
/// input shape: a Sequential model whose first layer carries it gets the
/// `InputLayer` Keras 3 writes for it. Nested models included.
fn keras3_shapes_and_axes(mc: &mut Value) {
    let sequential = mc.get("class_name").and_then(Value::as_str) == Some("Sequential");
    let Some(Value::Array(layers)) = mc.pointer_mut("/config/layers") else {
        return;
    };
    let mut input = None;
    for (i, l) in layers.iter_mut().enumerate() {
        if l.pointer("/config/layers").is_some() {
            keras3_shapes_and_axes(l);
        }
        keras3_layer_config(l);
        let is_input = l.get("class_name").and_then(Value::as_str) == Some("InputLayer");
        let Some(Value::Object(c)) = l.get_mut("config") else {
            continue;
        };
        let Some(shape) = c.remove("batch_input_shape") else {
            continue;
        };
        if is_input {
            c.entry("batch_shape").or_insert(shape);
        } else if sequential && i == 0 {
            let dtype = c.get("dtype").cloned().unwrap_or_else(|| "float32".into());
            input = Some(json!({
                "class_name": "InputLayer",
                "config": {"batch_shape": shape, "dtype": dtype, "sparse": false, "ragged": false},
            }));
        }
    }
    if let Some(mut input) = input {
        let taken: std::collections::BTreeSet<&str> = layers
            .iter()
            .filter_map(|l| l.pointer("/config/name").and_then(Value::as_str))
            .collect();
        let name = (0..)
            .map(|k| match k {
                0 => "input_layer".to_string(),
                k => format!("input_layer_{k}"),
            })
            .find(|n| !taken.contains(n.as_str()))
            .expect("an unused name");
        input["config"]["name"] = name.into();
        layers.insert(0, input);
    }
}

/// Keras 3 refuses layer names containing `/` (tf_keras applications
/// name layers `conv1/conv`); they become `conv1_conv` (made unique with
/// `_1`, `_2`… if taken) in the layers, their configs, the inbound nodes
/// and the model's inputs and outputs. Weight paths in model.weights.h5 do
/// not depend on names.
fn keras3_layer_names(mc: &mut Value) {
    let Some(Value::Array(layers)) = mc.pointer_mut("/config/layers") else {
        return;
    };
    let name_of = |l: &Value| {
        l.get("name")
            .or_else(|| l.pointer("/config/name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut taken: std::collections::BTreeSet<String> = layers.iter().filter_map(name_of).collect();
    let mut renamed = std::collections::BTreeMap::<String, String>::new();
    for l in layers.iter() {
        let Some(old) = name_of(l).filter(|n| n.contains('/')) else {
            continue;
        };
        let base = old.replace('/', "_");
        let mut new = base.clone();
        let mut k = 1;
        while taken.contains(&new) {
            new = format!("{base}_{k}");
            k += 1;
        }
        taken.insert(new.clone());
        renamed.insert(old, new);
    }
    if renamed.is_empty() {
        return;
    }
    // `[name, node_index, tensor_index, …]` references, at any depth.
    fn rename_refs(v: &mut Value, renamed: &std::collections::BTreeMap<String, String>) {
        if let Value::Array(items) = v {
            if let Some(new) = items
                .first()
                .and_then(Value::as_str)
                .and_then(|n| renamed.get(n))
            {
                if items.get(1).is_some_and(Value::is_number) {
                    items[0] = Value::String(new.clone());
                    return;
                }
            }
            items.iter_mut().for_each(|x| rename_refs(x, renamed));
        }
    }
    for l in layers.iter_mut() {
        if let Some(new) = name_of(l).and_then(|n| renamed.get(&n)) {
            let new = Value::String(new.clone());
            if let Some(n) = l.get_mut("name") {
                *n = new.clone();
            }
            if let Some(n) = l.pointer_mut("/config/name") {
                *n = new;
            }
        }
        if let Some(nodes) = l.get_mut("inbound_nodes") {
            rename_refs(nodes, &renamed);
        }
    }
    for key in ["input_layers", "output_layers"] {
        if let Some(v) = mc.pointer_mut(&format!("/config/{key}")) {
            rename_refs(v, &renamed);
        }
    }
}

/// A Keras 3 `.keras` archive (`keras.saving.load_model` reads it).
pub fn to_keras(a: &ModelArtifacts) -> Result<Vec<u8>> {
    let (mut mc, names) = model_config(a)?;
    let mut layers = layers(a, &names)?;
    keras_layer_order(&mut mc, &mut layers);
    let mut root = WriteGroup::default();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for l in &layers {
        // Operations (Keras 3 nodes, `tf.*` functions) are no layers there.
        if nodes::is_operation(&l.class) {
            continue;
        }
        let snake = snake_case(&l.class);
        let n = counts.entry(snake.clone()).or_insert(0);
        let base = if *n == 0 {
            format!("layers/{snake}")
        } else {
            format!("layers/{snake}_{n}")
        };
        *n += 1;
        let vars = root
            .group_mut(&format!("{base}/vars"))
            .expect("fresh group");
        vars.attrs
            .push(("name".into(), WriteAttr::Str(l.name.clone())));
        let names: Vec<&str> = l.weights.iter().map(|w| w.0.as_str()).collect();
        let paths = keras3_weight_paths(&base, &l.class, &l.config, &names);
        for ((_, t, shape, data), path) in l.weights.iter().zip(paths) {
            let (dir, leaf) = path.rsplit_once('/').expect("has a slash");
            root.group_mut(dir).expect("groups only").children.insert(
                leaf.to_string(),
                WriteNode::Dataset {
                    dtype: *t,
                    shape: shape.clone(),
                    data: data.clone(),
                },
            );
        }
    }
    root.group_mut("vars").expect("fresh group");
    let weights = write(&root);
    let metadata =
        json!({"keras_version": KERAS3_VERSION, "date_saved": "1980-01-01@00:00:00"}).to_string();
    // Keras 3 locates the model class and every layer by module, and reads
    // calls in its own `{args, kwargs}` form.
    let mut mc = mc;
    keras3_layer_names(&mut mc);
    keras3_nested_node_indices(&mut mc);
    one_sided_keys(&mut mc, KERAS2_ONLY_KEYS, true)?;
    keras3_shapes_and_axes(&mut mc);
    if let Some(c) = mc.get_mut("config") {
        nodes::for_keras3(c)?;
    }
    if let Some(Value::Array(ls)) = mc.pointer_mut("/config/layers") {
        ls.iter_mut().for_each(keras3_modules);
    }
    let module = match mc.get("class_name").and_then(Value::as_str) {
        Some("Sequential") => "keras.src.models.sequential",
        _ => "keras.src.models.functional",
    };
    if let Value::Object(m) = &mut mc {
        m.insert("module".into(), module.into());
        m.insert("registered_name".into(), Value::Null);
    }
    let config = mc.to_string();
    Ok(crate::zip::write_stored(&[
        ("metadata.json", metadata.as_bytes()),
        ("config.json", config.as_bytes()),
        ("model.weights.h5", &weights),
    ]))
}
