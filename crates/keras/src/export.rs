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
use tfjs_format::topology::{layer_entry_class, layer_entry_name};
use tfjs_format::ModelArtifacts;

mod keras3;
mod nodes;
mod order;
mod tf_keras;

pub use keras3::to_keras;
pub use tf_keras::to_h5;
/// The names Keras 3 saves layers under (one implementation, shared with
/// the engine and `tfjs verify`'s Keras 3 weight paths).
pub use tfjs_format::topology::{keras3_path_name, snake_case};

/// Keras version written into exported `.h5` files (tf_keras reads it).
pub const H5_KERAS_VERSION: &str = tfjs_format::dialect::TF_KERAS_VERSION;
/// Keras version written into exported `.keras` metadata.
pub const KERAS3_VERSION: &str = tfjs_format::dialect::KERAS3_VERSION;
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
            let name = layer_entry_name(l).unwrap_or("").to_string();
            let class = layer_entry_class(l).to_string();
            let config = l.get("config").cloned().unwrap_or(Value::Null);
            (name, class, config)
        })
        .collect();
    Ok((json!({"class_name": class, "config": config}), layers))
}

/// `check(entry, name, class)` on every layer entry of the model config
/// `mc`, nested models' layers included (not the nested models' own
/// entries).
fn check_layer_entries(
    mc: &Value,
    check: &mut dyn FnMut(&Value, &str, &str) -> Result<()>,
) -> Result<()> {
    for l in mc
        .pointer("/config/layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if tfjs_format::topology::is_model_entry(l) {
            check_layer_entries(l, check)?;
        } else {
            check(l, layer_entry_name(l).unwrap_or(""), layer_entry_class(l))?;
        }
    }
    Ok(())
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

/// A config key only one Keras takes: `(class, key, value)`, where `value`
/// (JSON) is how the other Keras behaves without the key; the key is
/// dropped when it holds that value (or `null`), any value for `None`.
/// `class` may list classes (`"LSTM|GRU"`) and end in `*D` (its 1-, 2- and
/// 3-D variants).
type OneSidedKey = (&'static str, &'static str, Option<&'static str>);

/// Keras 2 keys Keras 3's constructors reject ("Unrecognized keyword
/// arguments"): `MultiHeadAttention`'s build shapes (Keras 3 builds on the
/// first call), the random layers' `rng_type` (`"*"`: every random layer;
/// `<Name>*D`: its 1-, 2- and 3-D variants),
/// `Discretization`'s `trainable` (its Keras 3 constructor takes none; it
/// has no weights to train), the ConvLSTM layers' `implementation` (Keras
/// 3's `ConvLSTM*D` take none; it picks no kernel variant there).
const KERAS2_ONLY_KEYS: &[OneSidedKey] = &[
    ("ConvLSTM*D", "implementation", None),
    // Keras 3's recurrent layers take no `time_major` (inputs are
    // batch-major): a time-major layer is refused for `.keras`.
    (
        "ConvLSTM*D|LSTM|GRU|SimpleRNN|RNN",
        "time_major",
        Some("false"),
    ),
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
    ("SpatialDropout*D", "noise_shape", None),
    // Keras 3's spatial dropouts take no `trainable` (and hold no weights).
    ("SpatialDropout*D", "trainable", None),
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
    // Dropout seeds: dropout is the identity at inference.
    ("ConvLSTM*D", "seed", None),
    // Keras 3's LayerNormalization can scale by the root mean square.
    ("LayerNormalization", "rms_scaling", Some("false")),
    // LoRA: the engine holds the merged kernels (Keras 3 saves them merged).
    ("Dense", "lora_rank", None),
    ("Dense", "lora_alpha", None),
    ("EinsumDense", "lora_rank", None),
    ("EinsumDense", "lora_alpha", None),
    ("Embedding", "lora_rank", None),
    ("Embedding", "lora_alpha", None),
    // Keras 3's Resizing can pad to the aspect ratio; tf_keras's cannot.
    ("Resizing", "pad_to_aspect_ratio", Some("false")),
    ("Resizing", "fill_mode", None),
    ("Resizing", "fill_value", None),
    // ... and antialias (a tf_keras model says `tf.image.resize(antialias=True)`).
    ("Resizing", "antialias", Some("false")),
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

/// Whether a table's class `pattern` names `class`: the class itself, `*`
/// (the random layers and the other layers that are the identity at
/// inference), or `<Name>*D` (its 1-, 2- and 3-D variants).
fn names_class(pattern: &str, class: &str) -> bool {
    if pattern.contains('|') {
        return pattern.split('|').any(|p| names_class(p, class));
    }
    match pattern.split_once('*') {
        None => pattern == class,
        Some(("", "")) => {
            class == "RandomCrop"
                || tfjs_format::topology::INFERENCE_IDENTITY_LAYERS.contains(&class)
        }
        Some((head, tail)) => class
            .strip_prefix(head)
            .and_then(|rest| rest.strip_suffix(tail))
            .is_some_and(|rank| matches!(rank, "1" | "2" | "3")),
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
        let class = layer_entry_class(l).to_string();
        if tfjs_format::topology::is_model_entry(l) {
            one_sided_keys(l, table, keras3)?;
            continue;
        }
        let Some(Value::Object(c)) = l.get_mut("config") else {
            continue;
        };
        for (cls, key, same) in table {
            if !names_class(cls, &class) {
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
        // tf_keras's TextVectorization takes only `dtype: "string"` (its
        // input's); Keras 3 saves its float32 policy.
        if !keras3 && class == "TextVectorization" {
            c.insert("dtype".into(), "string".into());
        }
    }
    Ok(())
}
