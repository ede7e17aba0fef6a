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
    weights: Vec<(String, WriteType, Vec<u64>, Vec<u8>)>,
}

/// `{class_name, config}` of the topology and its layers (name, class), in order.
fn model_config(a: &ModelArtifacts) -> Result<(Value, Vec<(String, String)>)> {
    let t = a
        .model_topology
        .as_ref()
        .ok_or_else(|| KerasError::msg("the model has no topology"))?;
    let mc = t.get("model_config").unwrap_or(t);
    let class = mc.get("class_name").cloned().unwrap_or(Value::Null);
    let config = mc.get("config").cloned().unwrap_or(Value::Null);
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
            (name, class)
        })
        .collect();
    Ok((json!({"class_name": class, "config": config}), layers))
}

/// The weights grouped by layer (longest layer-name prefix), in layer order.
fn layers(a: &ModelArtifacts, names: &[(String, String)]) -> Result<Vec<Layer>> {
    let decoded = decode_weights(&a.weight_specs, &a.weight_data)
        .map_err(|e| KerasError::msg(format!("cannot decode the weights: {e}")))?;
    let mut out: Vec<Layer> = names
        .iter()
        .map(|(n, c)| Layer {
            name: n.clone(),
            class: c.clone(),
            weights: Vec::new(),
        })
        .collect();
    for d in decoded {
        let owner = out
            .iter()
            .enumerate()
            .filter(|(_, l)| d.name.starts_with(&format!("{}/", l.name)))
            .max_by_key(|(_, l)| l.name.len())
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

fn name_list(attrs: &mut Vec<(String, WriteAttr)>, key: &str, names: Vec<String>) {
    if names.len() <= NAMES_PER_ATTR {
        attrs.push((key.to_string(), WriteAttr::List(names)));
    } else {
        for (i, chunk) in names.chunks(NAMES_PER_ATTR).enumerate() {
            attrs.push((format!("{key}{i}"), WriteAttr::List(chunk.to_vec())));
        }
    }
}

/// A tf_keras HDF5 model file (`tf_keras.models.load_model` reads it).
pub fn to_h5(a: &ModelArtifacts) -> Result<Vec<u8>> {
    let (mc, names) = model_config(a)?;
    let layers = layers(a, &names)?;
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

/// Where Keras 3 keeps a layer's variables inside model.weights.h5, for
/// the `i`-th of `n` weights of a layer of `class` saved under `base`.
fn keras3_var_path(base: &str, class: &str, i: usize, n: usize) -> String {
    match class {
        "LSTM" | "GRU" | "SimpleRNN" => format!("{base}/cell/vars/{i}"),
        "Bidirectional" => {
            let half = n / 2;
            if i < half {
                format!("{base}/forward_layer/cell/vars/{i}")
            } else {
                format!("{base}/backward_layer/cell/vars/{}", i - half)
            }
        }
        _ => format!("{base}/vars/{i}"),
    }
}

/// A Keras 3 `.keras` archive (`keras.saving.load_model` reads it).
pub fn to_keras(a: &ModelArtifacts) -> Result<Vec<u8>> {
    let (mc, names) = model_config(a)?;
    let layers = layers(a, &names)?;
    let mut root = WriteGroup::default();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for l in &layers {
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
        for (i, (_, t, shape, data)) in l.weights.iter().enumerate() {
            let path = keras3_var_path(&base, &l.class, i, l.weights.len());
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
    // Keras 2 form, which its functional deserializer still reads.
    let mut mc = mc;
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
