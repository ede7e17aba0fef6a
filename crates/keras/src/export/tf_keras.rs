//! The tf_keras side of the export: the HDF5 model file, and what tf_keras
//! lacks (keras.applications' `LayerScale`, Keras 3 activations and layers).

use super::*;

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
const KERAS3_ONLY_CLASSES: &[&str] = &[
    "RMSNormalization",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "Pipeline",
    "ReversibleEmbedding",
    "STFTSpectrogram",
    "MelSpectrogram",
    "AutoContrast",
    "ContrastLimitedAdaptiveHistogramEqualization",
];

/// tf_keras has no `hard_silu` (`hard_swish`) activation (and its
/// `hard_sigmoid` is `0.2x + 0.5` clipped, not Keras 3's `x / 6 + 0.5`, so
/// it cannot be built from that), nor the layers of [`KERAS3_ONLY_CLASSES`]:
/// a layer using one is an error naming it.
fn tf_keras_lacks(mc: &Value) -> Result<()> {
    check_layer_entries(mc, &mut |l, name, class| {
        let act = l.pointer("/config/activation").and_then(Value::as_str);
        if let Some(a @ ("hard_silu" | "hard_swish")) = act {
            return Err(KerasError::msg(format!(
                "layer `{name}` ({class}): activation `{a}` has no tf_keras equivalent \
                 (tf_keras has no hard_silu, and its hard_sigmoid computes 0.2x + 0.5); \
                 export to .keras instead"
            )));
        }
        // tf_keras's TextVectorization.from_config passes a list of n-gram
        // widths on where its constructor requires a tuple (tf_keras cannot
        // load its own such files); widths 1..=n are the integer n.
        if let (Some(Value::Array(w)), "TextVectorization") = (l.pointer("/config/ngrams"), class) {
            if !w
                .iter()
                .enumerate()
                .all(|(i, v)| v.as_u64() == Some(i as u64 + 1))
            {
                return Err(KerasError::msg(format!(
                    "layer `{name}` (TextVectorization): tf_keras 2.21 cannot load n-gram widths \
                     {} (only an integer n, widths 1 to n); export to .keras instead",
                    Value::Array(w.clone())
                )));
            }
        }
        if KERAS3_ONLY_CLASSES.contains(&class) {
            return Err(KerasError::msg(format!(
                "layer `{name}` ({class}): tf_keras 2.21 has no {class} layer; export to \
                 .keras instead"
            )));
        }
        Ok(())
    })
}

/// TextVectorization's n-gram widths 1..=n (a list, checked by
/// [`tf_keras_lacks`]) as the integer n tf_keras can load.
fn tf_keras_ngrams(mc: &mut Value) {
    for l in mc
        .pointer_mut("/config/layers")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if tfjs_format::topology::is_model_entry(l) {
            tf_keras_ngrams(l);
            continue;
        }
        if layer_entry_class(l) != "TextVectorization" {
            continue;
        }
        if let Some(n) = l.pointer_mut("/config/ngrams").filter(|n| n.is_array()) {
            *n = Value::from(n.as_array().map_or(0, Vec::len));
        }
    }
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
    tf_keras_ngrams(&mut mc);
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
