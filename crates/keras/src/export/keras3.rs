//! The Keras 3 side of the export: the `.keras` archive, the module each
//! layer is deserialized by, Keras 3's config forms, node counts of nested
//! models, and where Keras 3 keeps each variable in `model.weights.h5`.

use super::*;

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
                let c = layer_entry_class(cell);
                let cc = cell.get("config").cloned().unwrap_or(Value::Null);
                let snake = keras3_path_name(c);
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
        // (GroupQueryAttention's are private attributes: `_query_dense`.)
        "MultiHeadAttention" | "GroupQueryAttention" | "GroupedQueryAttention" => {
            let bias = config
                .get("use_bias")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let per = 1 + usize::from(bias);
            let private = if class == "MultiHeadAttention" {
                ""
            } else {
                "_"
            };
            // Keras 3.15's gate (`use_gate`), after key's, is private in both.
            let gate = config.get("use_gate").and_then(Value::as_bool) == Some(true);
            let subs: Vec<String> = ["query_dense", "key_dense", "value_dense", "output_dense"]
                .iter()
                .map(|s| format!("{private}{s}"))
                .flat_map(|s| {
                    let gated = gate && s.ends_with("key_dense");
                    std::iter::once(s).chain(gated.then(|| "_gate_dense".to_string()))
                })
                .collect();
            if n != per * subs.len() {
                return (0..n).map(|i| format!("{base}/vars/{i}")).collect();
            }
            subs.iter()
                .flat_map(|s| (0..per).map(move |i| format!("{base}/{s}/vars/{i}")))
                .collect()
        }
        // A TF-IDF lookup saves its idf weights by name (TextVectorization's
        // inner StringLookup saves them again, written by `to_keras`).
        "StringLookup" | "IntegerLookup" | "TextVectorization" if n == 1 && is_tf_idf(config) => {
            vec![format!("{base}/vars/idf_weights")]
        }
        // The wrapped layer's under `layer/`, then `vector_u` (its own
        // `vars/0` is the wrapped kernel again, written by `to_keras`).
        "SpectralNormalization" if n >= 2 => {
            let (c, cc) = inner("layer");
            let mut out = keras3_var_paths(&format!("{base}/layer"), &c, &cc, n - 1);
            out.push(format!("{base}/vars/1"));
            out
        }
        _ => (0..n).map(|i| format!("{base}/vars/{i}")).collect(),
    }
}

/// Whether a lookup's `config` encodes TF-IDF.
fn is_tf_idf(config: &Value) -> bool {
    config.get("output_mode").and_then(Value::as_str) == Some("tf_idf")
}

/// Where Keras 3 keeps the variables of a layer saved under `base`, for
/// each of its `weights` (named `<layer>/<weight>` by the layer that holds
/// them, at any depth): a nested model's by its inner layers
/// ([`keras3_nested_model_paths`]), a `Pipeline`'s likewise,
/// `TimeDistributed`'s under `layer` (a model there too), any other
/// layer's by [`keras3_var_paths`].
fn keras3_weight_paths(base: &str, class: &str, config: &Value, weights: &[&str]) -> Vec<String> {
    if tfjs_format::topology::is_model_class(class) && config.get("layers").is_some() {
        return keras3_nested_model_paths(base, config, weights);
    }
    // The engine names a wrapper's (and a Pipeline's) weights
    // `<wrapper>/<inner>/…`.
    let own = config.get("name").and_then(Value::as_str).unwrap_or("");
    let inner_names = || -> Vec<&str> {
        weights
            .iter()
            .map(|w| {
                w.strip_prefix(own)
                    .and_then(|w| w.strip_prefix('/'))
                    .unwrap_or(w)
            })
            .collect()
    };
    match (class, config.get("layer")) {
        ("Pipeline", _) if config.get("layers").is_some() => {
            keras3_nested_model_paths(base, config, &inner_names())
        }
        ("TimeDistributed", Some(inner)) => {
            let weights = inner_names();
            let class = layer_entry_class(inner);
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
        let class = layer_entry_class(l);
        if class == "InputLayer" {
            continue;
        }
        let inner = l.get("config").cloned().unwrap_or(Value::Null);
        let mut names = Vec::new();
        names_within(l, &mut names);
        let snake = keras3_path_name(class);
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
        .filter(|l| tfjs_format::topology::is_model_entry(l))
        .for_each(keras3_nested_node_indices);
    let nested: std::collections::BTreeSet<String> = layers
        .iter()
        .filter(|l| tfjs_format::topology::is_model_entry(l))
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
/// `keras.layers`; `GroupedQueryAttention` is exported under another name.
fn keras3_class_location(class: &str) -> (&'static str, &str, Value) {
    match class {
        "Functional" | "Model" => (
            "keras.src.models.functional",
            "Functional",
            "Functional".into(),
        ),
        "Sequential" => ("keras", "Sequential", Value::Null),
        "LayerScale" => ("keras.src.applications.convnext", class, Value::Null),
        // Its Python class name (the legacy HDF5 writer's); `keras.layers`
        // exports it as `GroupQueryAttention`.
        "GroupedQueryAttention" => ("keras.layers", "GroupQueryAttention", Value::Null),
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

/// One layer's config as Keras 3 reads it by module (the layers wrapped in
/// it too): a one-element `axis` list is an int, as Keras 3's legacy
/// reader made it (its `BatchNormalization` takes only an int), except for
/// the layers that take several axes, and
/// `RandomShear`'s symmetric `[-f, f]` factors are `f`: Keras 3.15 saves the
/// range but its constructor takes only numbers in `[0, 1]`, so it cannot
/// load its own file otherwise. `ThresholdedReLU` is Keras 3's thresholded
/// `ReLU`.
fn keras3_layer_config(entry: &mut Value) {
    let class = layer_entry_class(entry).to_string();
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
    // A quantized layer's config (and its quantizers) is found by module:
    // Keras 3 registers the quantization configs under none.
    if let Some(q @ Value::Object(_)) = c.get_mut("quantization_config") {
        quantizer_modules(q);
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
            if tfjs_format::topology::is_model_entry(inner) {
                keras3_shapes_and_axes(inner);
            } else {
                keras3_layer_config(inner);
            }
        }
    }
}

/// A quantized layer's weights in the order Keras 3 saves them
/// (`variable_serialization_spec`: `kernel`, `bias`, then the scales):
/// the artifacts list its trainable `bias` before its frozen int `kernel`.
fn quantized_order(config: &Value, weights: &mut [&(String, WriteType, Vec<u64>, Vec<u8>)]) {
    if config.get("quantization_config").is_none_or(Value::is_null) {
        return;
    }
    let rank = |name: &str| match name.rsplit('/').next().unwrap_or(name) {
        "kernel" | "embeddings" => 0,
        "bias" => 1,
        _ => 2,
    };
    // Stable: the scales, zero points, g_idx (and float8's histories) keep
    // the engine's order, which is Keras's.
    weights.sort_by_key(|w| rank(&w.0));
}

/// `module: "keras.quantizers"` on a serialized quantization config and on
/// the quantizers in it (Keras 3 writes them so, and finds
/// `Int8QuantizationConfig` by nothing else).
fn quantizer_modules(v: &mut Value) {
    let Value::Object(o) = v else { return };
    if o.contains_key("class_name") && !o.contains_key("module") {
        o.insert("module".into(), "keras.quantizers".into());
        o.insert("registered_name".into(), Value::Null);
    }
    if let Some(Value::Object(config)) = o.get_mut("config") {
        for key in ["weight_quantizer", "activation_quantizer"] {
            if let Some(q) = config.get_mut(key) {
                quantizer_modules(q);
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
        if tfjs_format::topology::is_model_entry(l) {
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

/// tf_keras layers Keras 3 has no counterpart of (nor the ops to build
/// one from layers it has).
const TF_KERAS_ONLY: &[&str] = &["RandomFourierFeatures"];

/// A Keras 3 `.keras` archive (`keras.saving.load_model` reads it).
/// Keras 3's `Resizing` / `UpSampling2D` offer fewer `tf.image.resize`
/// kernels than tf_keras's: a layer using `gaussian` or `mitchellcubic` is
/// an error naming it, as is a layer of [`TF_KERAS_ONLY`].
fn keras3_lacks(mc: &Value) -> Result<()> {
    check_layer_entries(mc, &mut |l, name, class| {
        if TF_KERAS_ONLY.contains(&class) {
            return Err(KerasError::msg(format!(
                "layer `{name}` ({class}): Keras 3 has no such layer (only tf_keras has); \
                 export to .h5 instead"
            )));
        }
        let interpolation = l.pointer("/config/interpolation").and_then(Value::as_str);
        if let Some(i @ ("gaussian" | "mitchellcubic")) = interpolation {
            return Err(KerasError::msg(format!(
                "layer `{name}` ({}): interpolation `{i}` has no Keras 3 equivalent \
                 (only tf_keras resizes with it); export to .h5 instead",
                layer_entry_class(l)
            )));
        }
        Ok(())
    })
}

pub fn to_keras(a: &ModelArtifacts) -> Result<Vec<u8>> {
    let (mut mc, names) = model_config(a)?;
    keras3_lacks(&mc)?;
    let mut layers = layers(a, &names)?;
    keras_layer_order(&mut mc, &mut layers);
    let mut root = WriteGroup::default();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for l in &layers {
        // Operations (Keras 3 nodes, `tf.*` functions) are no layers there.
        if nodes::is_operation(&l.class) {
            continue;
        }
        let snake = keras3_path_name(&l.class);
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
        let mut weights: Vec<&(String, WriteType, Vec<u64>, Vec<u8>)> = l.weights.iter().collect();
        quantized_order(&l.config, &mut weights);
        let names: Vec<&str> = weights.iter().map(|w| w.0.as_str()).collect();
        let mut paths = keras3_weight_paths(&base, &l.class, &l.config, &names);
        // SpectralNormalization also saves its reference to the wrapped
        // kernel (the layer's first weight) as its own `vars/0`.
        if l.class == "SpectralNormalization" && l.weights.len() >= 2 {
            weights.push(&l.weights[0]);
            paths.push(format!("{base}/vars/0"));
        }
        // TextVectorization's inner StringLookup reads the idf weights
        // from its own variables too.
        if l.class == "TextVectorization" && l.weights.len() == 1 && is_tf_idf(&l.config) {
            weights.push(&l.weights[0]);
            paths.push(format!("{base}/_lookup_layer/vars/idf_weights"));
        }
        for ((_, t, shape, data), path) in weights.into_iter().zip(paths) {
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
