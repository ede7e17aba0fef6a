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
        ls.iter_mut().for_each(rnn_without_cell_keys);
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

/// TensorFlow.js's `RNN.getConfig()` spreads the cell's config into the
/// layer's (`{...cellConfig, ...baseConfig, cell}`); Keras's `RNN` takes
/// only `cell` and its own keys (`units` is "not understood"). Drops the
/// cell's keys from every `RNN` layer, nested ones included.
fn rnn_without_cell_keys(layer: &mut Value) {
    let Some(Value::Object(config)) = layer.get_mut("config") else {
        return;
    };
    for key in ["layer", "backward_layer", "cell"] {
        if let Some(inner) = config.get_mut(key) {
            rnn_without_cell_keys(inner);
        }
    }
    if let Some(Value::Array(cells)) = config.get_mut("cells") {
        cells.iter_mut().for_each(rnn_without_cell_keys);
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

/// tf_keras has no `hard_silu` (`hard_swish`) activation (and its
/// `hard_sigmoid` is `0.2x + 0.5` clipped, not Keras 3's `x / 6 + 0.5`, so
/// it cannot be built from that): a layer using it is an error naming it.
fn tf_keras_activations(mc: &Value) -> Result<()> {
    for l in mc
        .pointer("/config/layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if l.pointer("/config/layers").is_some() {
            tf_keras_activations(l)?;
            continue;
        }
        let act = l.pointer("/config/activation").and_then(Value::as_str);
        if let Some(a @ ("hard_silu" | "hard_swish")) = act {
            let name = l
                .pointer("/config/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let class = l.get("class_name").and_then(Value::as_str).unwrap_or("");
            return Err(KerasError::msg(format!(
                "layer `{name}` ({class}): activation `{a}` has no tf_keras equivalent \
                 (tf_keras has no hard_silu, and its hard_sigmoid computes 0.2x + 0.5); \
                 export to .keras instead"
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
    tf_keras_activations(&mc)?;
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
        "TimeDistributed" => {
            let (c, cc) = inner("layer");
            keras3_var_paths(&format!("{base}/layer"), &c, &cc, n)
        }
        _ => (0..n).map(|i| format!("{base}/vars/{i}")).collect(),
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
        let name = l
            .get("name")
            .or_else(|| inner.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
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
            .filter(|w| w.starts_with(&format!("{name}/")))
            .collect();
        let paths = if inner.get("layers").is_some() {
            keras3_nested_model_paths(&sub, &inner, &mine)
        } else {
            keras3_var_paths(&sub, class, &inner, mine.len())
        };
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
/// Shifts every reference to a nested model's output (inbound nodes and
/// the model's outputs) down by one.
fn keras3_nested_node_indices(mc: &mut Value) {
    let Some(Value::Array(layers)) = mc.pointer_mut("/config/layers") else {
        return;
    };
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
    if let Some(v) = mc.pointer_mut("/config/output_layers") {
        shift(v, &nested);
    }
}

/// The `module` of layers Keras 3 has outside `keras.layers`: keras.applications'
/// own `LayerScale` (ConvNeXt).
fn keras3_layer_modules(mc: &mut Value) {
    let Some(Value::Array(layers)) = mc.pointer_mut("/config/layers") else {
        return;
    };
    for l in layers {
        if l.get("class_name").and_then(Value::as_str) == Some("LayerScale") {
            if let Value::Object(o) = l {
                o.insert("module".into(), "keras.src.applications.convnext".into());
                o.insert("registered_name".into(), Value::Null);
            }
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
/// included), and for Keras 3 (`keras3`) `batch_input_shape` on the layers
/// of a functional model (Keras 3 reads it only on a Sequential model's
/// first layer). A key the other Keras has no equivalent for is an error
/// naming the layer.
fn one_sided_keys(mc: &mut Value, table: &[OneSidedKey], keras3: bool) -> Result<()> {
    let target = if keras3 { "Keras 3" } else { "tf_keras" };
    let functional = mc.get("class_name").and_then(Value::as_str) != Some("Sequential");
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
        if keras3 && functional && class != "InputLayer" {
            c.remove("batch_input_shape");
        }
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

/// Keras 3 deserializes the layers nested in a layer's config (wrappers'
/// `layer` / `backward_layer`, recurrent layers' `cell` / `cells`) by
/// module only; the top-level layers may keep the Keras 2 form.
fn keras3_nested_modules(config: &mut Value) {
    let Value::Object(m) = config else { return };
    for key in ["layer", "backward_layer", "cell", "cells"] {
        let items: Vec<&mut Value> = match m.get_mut(key) {
            Some(Value::Array(a)) => a.iter_mut().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => continue,
        };
        for item in items {
            if let Value::Object(o) = item {
                if o.contains_key("class_name") {
                    o.entry("module").or_insert_with(|| "keras.layers".into());
                    o.entry("registered_name").or_insert(Value::Null);
                }
                if let Some(c) = o.get_mut("config") {
                    keras3_nested_modules(c);
                }
            }
        }
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
        let paths = if l.config.get("layers").is_some() {
            let names: Vec<&str> = l.weights.iter().map(|w| w.0.as_str()).collect();
            keras3_nested_model_paths(&base, &l.config, &names)
        } else {
            keras3_var_paths(&base, &l.class, &l.config, l.weights.len())
        };
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
    // Keras 3 locates the model class by module; layers inside keep the
    // Keras 2 form, which its functional deserializer still reads, except
    // the layers nested in them.
    let mut mc = mc;
    keras3_layer_names(&mut mc);
    keras3_nested_node_indices(&mut mc);
    keras3_layer_modules(&mut mc);
    one_sided_keys(&mut mc, KERAS2_ONLY_KEYS, true)?;
    if let Some(c) = mc.get_mut("config") {
        nodes::for_keras3(c)?;
    }
    if let Some(Value::Array(ls)) = mc.pointer_mut("/config/layers") {
        for l in ls {
            if let Some(c) = l.get_mut("config") {
                keras3_nested_modules(c);
            }
        }
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
