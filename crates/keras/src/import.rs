//! Keras files → TensorFlow.js layers-model artifacts, as the official
//! converter (tensorflowjs 4.22.0) builds them.

use crate::h5::{split_attr_strings, DatasetInfo, H5File, Node};
use crate::tensor::{read_weight, Weight};
use crate::{KerasError, Result, CONVERTED_BY};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use tfjs_format::{topology, ModelArtifacts, WeightData};

/// An imported model and what the import had to say about it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The artifacts (topology, manifest, weight bytes).
    pub artifacts: ModelArtifacts,
    /// Things done that the converter would not do (dtype conversions,
    /// weights it would have dropped), one line each.
    pub notes: Vec<String>,
}

/// The converter renames a few Keras class names on the way
/// (`translate_class_names`): only `class_name` keys, in dicts nested in
/// dicts or directly in lists.
fn translate_class_names(v: &mut Value) {
    let Value::Object(map) = v else { return };
    for (k, value) in map.iter_mut() {
        if k == "class_name" {
            if let Value::String(s) = value {
                let to = match s.as_str() {
                    "BatchNormalizationV1" => Some("BatchNormalization"),
                    "UnifiedGRU" => Some("GRU"),
                    "UnifiedLSTM" => Some("LSTM"),
                    _ => None,
                };
                if let Some(to) = to {
                    *s = to.to_string();
                }
                continue;
            }
        }
        match value {
            Value::Object(_) => translate_class_names(value),
            Value::Array(items) => items.iter_mut().for_each(translate_class_names),
            _ => {}
        }
    }
}

/// The converter's `_discard_v3_keys`: drop these keys at any depth.
fn discard_keys(v: &mut Value, keys: &[&str]) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !keys.contains(&k.as_str()));
            map.values_mut().for_each(|x| discard_keys(x, keys));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| discard_keys(x, keys)),
        _ => {}
    }
}

/// A Keras file's JSON, as Python's `json` reads it: the non-finite floats
/// it writes as bare `NaN` / `Infinity` read as those strings.
fn parse_json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(&tfjs_format::json::quote_python_nonfinite(text))
        .map_err(|e| KerasError::Json(format!("{what} is not valid JSON: {e}")))
}

fn root_str<'a>(root: &'a Node, name: &str) -> Option<&'a str> {
    root.attrs().get(name).and_then(|v| v.as_str())
}

fn artifacts(topology: Value, weights: Vec<Weight<'_>>) -> ModelArtifacts {
    let generated_by = topology
        .get("keras_version")
        .and_then(Value::as_str)
        .map(|v| format!("keras v{v}"));
    let mut data = Vec::with_capacity(weights.iter().map(|w| w.data.len()).sum());
    let specs = weights
        .iter()
        .map(|w| {
            data.extend_from_slice(&w.data);
            w.spec()
        })
        .collect();
    ModelArtifacts {
        model_topology: Some(topology),
        weight_specs: specs,
        weight_data: WeightData::from_vec(data),
        format: Some("layers-model".into()),
        generated_by,
        converted_by: Some(Value::String(CONVERTED_BY.into())),
        ..Default::default()
    }
}

/// Strip the `:0` output slot TensorFlow appends to variable names.
fn normalize_weight_name(name: &str) -> &str {
    name.strip_suffix(":0").unwrap_or(name)
}

/// `_convert_h5_group`: a group with `weight_names` is a layer (its listed
/// datasets, in that order); any other group is searched recursively.
fn convert_h5_group<'a>(
    file: &H5File<'a>,
    group: &Node,
    path: &str,
    out: &mut Vec<Weight<'a>>,
    notes: &mut Vec<String>,
) -> Result<()> {
    if let Some(names) = split_attr_strings(group, "weight_names") {
        for name in names {
            let p = format!("{path}/{name}");
            let Some(Node::Dataset(d)) = group.get(&name) else {
                return Err(KerasError::msg(format!(
                    "{p}: listed in weight_names but not a dataset"
                )));
            };
            out.push(read_weight(
                file,
                d,
                &p,
                normalize_weight_name(&name),
                notes,
            )?);
        }
        return Ok(());
    }
    if let Some(children) = group.children() {
        for (k, child) in children {
            if child.children().is_some() {
                convert_h5_group(file, child, &format!("{path}/{k}"), out, notes)?;
            }
        }
    }
    Ok(())
}

/// The names of every layer in a Keras model config (`config.layers[].name`,
/// falling back to `config.layers[].config.name`), with the class name.
/// Keras 3 operation nodes are left out (see
/// [`tfjs_format::topology::is_keras3_operation`]): HDF5 files store no
/// group for them.
fn config_layer_names(model_config: &Value) -> Option<Vec<(String, String)>> {
    let layers = model_config.get("config")?.get("layers")?.as_array()?;
    Some(
        layers
            .iter()
            .filter(|l| !topology::is_keras3_operation(l))
            .filter_map(|l| {
                let name = topology::layer_entry_name(l)?;
                Some((name.to_string(), topology::layer_entry_class(l).to_string()))
            })
            .collect(),
    )
}

/// Check the `model_weights` group against the topology and itself:
/// every layer of the config has its group, every listed weight its
/// dataset, and nothing is stored that no layer lists. All problems are
/// returned together.
fn validate(model_weights: &Node, model_config: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let layer_names = split_attr_strings(model_weights, "layer_names").unwrap_or_else(|| {
        model_weights
            .children()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    });
    let listed: BTreeSet<&str> = layer_names.iter().map(String::as_str).collect();
    if let Some(config_layers) = config_layer_names(model_config) {
        let known: BTreeSet<&str> = config_layers.iter().map(|(n, _)| n.as_str()).collect();
        for (name, class) in &config_layers {
            if class != "InputLayer" && !listed.contains(name.as_str()) {
                problems.push(format!(
                    "missing layer `{name}` ({class}): not in model_weights"
                ));
            }
        }
        for name in &layer_names {
            if !known.contains(name.as_str()) {
                problems.push(format!(
                    "extra layer `{name}`: stored but not in the topology"
                ));
            }
        }
    }
    // Datasets each layer group lists; then every dataset anywhere must be listed.
    let mut referenced = BTreeSet::new();
    for name in &layer_names {
        let Some(group) = model_weights.get(name) else {
            problems.push(format!(
                "missing layer group `{name}` listed in layer_names"
            ));
            continue;
        };
        for w in split_attr_strings(group, "weight_names").unwrap_or_default() {
            match group.get(&w) {
                Some(Node::Dataset(_)) => {
                    referenced.insert(format!("{name}/{w}"));
                }
                _ => problems.push(format!(
                    "missing weight `{name}/{w}`: listed but not stored"
                )),
            }
        }
    }
    let mut all = Vec::new();
    collect_datasets(model_weights, "", &mut all);
    for p in all {
        if !referenced.contains(&p) {
            problems.push(format!("extra weight `{p}`: stored but listed by no layer"));
        }
    }
    problems
}

/// One error listing every problem [`validate`] found.
fn mismatch(problems: Vec<String>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(KerasError::msg(format!(
        "the HDF5 weights do not match the topology ({} problems):\n  {}",
        problems.len(),
        problems.join("\n  ")
    )))
}

fn collect_datasets(node: &Node, prefix: &str, out: &mut Vec<String>) {
    if let Some(children) = node.children() {
        for (k, c) in children {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}/{k}")
            };
            match c {
                Node::Dataset(_) => out.push(p),
                Node::Group { .. } => collect_datasets(c, &p, out),
            }
        }
    }
}

/// A Keras HDF5 model file → the converter's artifacts
/// (`h5_merged_saved_model_to_tfjs_format` + `write_artifacts`).
///
/// Weights of layers whose names contain `/` (MobileNetV3's `Conv/BatchNorm`)
/// sit under another layer's group, where the converter never looks; they are
/// found through `layer_names`, appended, and named in `notes`.
pub fn import_h5(bytes: &[u8]) -> Result<Imported> {
    let file = H5File::parse(bytes)?;
    let root = &file.root;
    let Some(config_text) = root_str(root, "model_config") else {
        if root.attrs().contains_key("layer_names") || root.get("layers").is_some() {
            return Err(KerasError::msg(
                "this HDF5 file holds weights only (no `model_config`); give the topology with --topology",
            ));
        }
        return Err(KerasError::msg(
            "not a Keras model file: no `model_config` attribute",
        ));
    };
    let keras_version = root_str(root, "keras_version")
        .ok_or_else(|| KerasError::msg("no `keras_version` attribute in the HDF5 file"))?;
    let backend = root_str(root, "backend")
        .ok_or_else(|| KerasError::msg("no `backend` attribute in the HDF5 file"))?;
    let mut model_config = parse_json(config_text, "the `model_config` attribute")?;
    translate_class_names(&mut model_config);
    let mut topology = Map::new();
    topology.insert("keras_version".into(), keras_version.into());
    topology.insert("backend".into(), backend.into());
    topology.insert("model_config".into(), model_config);
    if let Some(t) = root_str(root, "training_config") {
        topology.insert(
            "training_config".into(),
            parse_json(t, "the `training_config` attribute")?,
        );
    }
    let Some(model_weights) = root.get("model_weights").filter(|n| n.children().is_some()) else {
        return Err(KerasError::msg("no `model_weights` group in the HDF5 file"));
    };
    let problems = validate(model_weights, &topology["model_config"]);
    mismatch(problems)?;
    let mut weights = Vec::new();
    let mut notes = Vec::new();
    // Weights named without their layer's scope, by layer.
    let mut bare = Vec::new();
    for (name, layer) in model_weights.children().into_iter().flatten() {
        let first = weights.len();
        convert_h5_group(
            &file,
            layer,
            &format!("/model_weights/{name}"),
            &mut weights,
            &mut notes,
        )?;
        bare.extend((first..weights.len()).map(|i| (i, name.clone())));
    }
    scope_colliding_bare_names(&mut weights, &bare, &mut notes);
    // Layers nested under another layer's group (names with `/`).
    let have: BTreeSet<String> = weights.iter().map(|w| w.name.clone()).collect();
    for name in split_attr_strings(model_weights, "layer_names").unwrap_or_default() {
        if !name.contains('/') {
            continue;
        }
        let Some(group) = model_weights.get(&name) else {
            continue;
        };
        let mut nested = Vec::new();
        let path = format!("/model_weights/{name}");
        for w in split_attr_strings(group, "weight_names").unwrap_or_default() {
            if let Some(Node::Dataset(d)) = group.get(&w) {
                nested.push(read_weight(
                    &file,
                    d,
                    &format!("{path}/{w}"),
                    normalize_weight_name(&w),
                    &mut notes,
                )?);
            }
        }
        nested.retain(|w| !have.contains(&w.name));
        if !nested.is_empty() {
            notes.push(format!(
                "layer `{name}`: {} weight(s) nested under `{}` written (the official converter drops them)",
                nested.len(),
                name.split('/').next().unwrap_or("")
            ));
            weights.extend(nested);
        }
    }
    check_unique(&weights)?;
    Ok(Imported {
        artifacts: artifacts(Value::Object(topology), weights),
        notes,
    })
}

/// tf_keras's preprocessing layers name their weights without the layer's
/// scope (an adapted `Normalization`'s `mean:0` / `variance:0` / `count:0`),
/// so two such layers list the same names: the official converter refuses
/// the file ("duplicate weight name"). Those names are written with their
/// layer's scope (`x_norm/mean`), which the engine reads as that layer's;
/// a bare name no other layer uses is kept as the converter writes it.
fn scope_colliding_bare_names(
    weights: &mut [Weight<'_>],
    by_layer: &[(usize, String)],
    notes: &mut Vec<String>,
) {
    let bare = |w: &Weight<'_>| !w.name.contains('/');
    let mut count = std::collections::BTreeMap::<String, usize>::new();
    for w in weights.iter().filter(|w| bare(w)) {
        *count.entry(w.name.clone()).or_default() += 1;
    }
    let mut scoped = BTreeSet::new();
    for (i, layer) in by_layer {
        let w = &mut weights[*i];
        if bare(w) && count.get(&w.name).is_some_and(|&n| n > 1) {
            scoped.insert(w.name.clone());
            w.name = format!("{layer}/{}", w.name);
        }
    }
    if !scoped.is_empty() {
        notes.push(format!(
            "weights named {} in several layers without their scope are written as \
             `<layer>/<name>` (the official converter refuses the file: duplicate weight name)",
            scoped
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

fn check_unique(weights: &[Weight<'_>]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for w in weights {
        if !seen.insert(w.name.as_str()) {
            return Err(KerasError::msg(format!(
                "duplicate weight name `{}`",
                w.name
            )));
        }
    }
    Ok(())
}

/// Keras 3 weights (`model.weights.h5`, possibly several shard files): every
/// dataset named by its path, in the converter's order (groups by name,
/// recursively).
fn v3_weights<'a>(files: &[H5File<'a>], notes: &mut Vec<String>) -> Result<Vec<Weight<'a>>> {
    let mut by_path: BTreeMap<Vec<String>, (usize, &DatasetInfo)> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let mut found = Vec::new();
        walk_datasets(&f.root, &mut Vec::new(), &mut found);
        for (segments, d) in found {
            let p = segments.join("/");
            if by_path.insert(segments, (i, d)).is_some() {
                return Err(KerasError::msg(format!(
                    "weight `{p}` is stored in more than one shard"
                )));
            }
        }
    }
    by_path
        .into_iter()
        .map(|(segments, (i, d))| {
            let name = segments.join("/");
            read_weight(&files[i], d, &format!("/{name}"), &name, notes)
        })
        .collect()
}

fn walk_datasets<'a>(
    node: &'a Node,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, &'a DatasetInfo)>,
) {
    for (k, c) in node.children().into_iter().flatten() {
        prefix.push(k.clone());
        match c {
            Node::Dataset(d) => out.push((prefix.clone(), d)),
            Node::Group { .. } => walk_datasets(c, prefix, out),
        }
        prefix.pop();
    }
}

/// The converter's Keras 3 topology: `keras_version` from metadata.json, the
/// config with every `module`, `registered_name` and `date_saved` key removed.
fn v3_topology(config: &str, metadata: Option<&str>, files: &[H5File]) -> Result<Value> {
    let mut config = parse_json(config, "config.json")?;
    discard_keys(&mut config, &["module", "registered_name", "date_saved"]);
    translate_class_names(&mut config);
    let mut topology = Map::new();
    if let Some(m) = metadata {
        let meta = parse_json(m, "metadata.json")?;
        let v = meta
            .get("keras_version")
            .cloned()
            .ok_or_else(|| KerasError::msg("metadata.json has no `keras_version`"))?;
        topology.insert("keras_version".into(), v);
    }
    topology.insert("model_config".into(), config);
    if let Some(t) = files
        .first()
        .and_then(|f| root_str(&f.root, "training_config"))
    {
        topology.insert(
            "training_config".into(),
            parse_json(t, "the `training_config` attribute")?,
        );
    }
    Ok(Value::Object(topology))
}

/// A Keras 3 `.keras` archive → what `tensorflowjs_converter --input_format
/// keras_keras --output_format tfjs_layers_model` builds (weights named
/// `layers/<class>[_n]/vars/<i>`). Sharded weights (`model.weights.json` and
/// its shard files) are read too.
pub fn import_keras(bytes: &[u8]) -> Result<Imported> {
    let archive = crate::zip::ZipArchive::parse(bytes)?;
    let text = |name: &str| -> Result<Option<String>> {
        match archive.read(name)? {
            Some(b) => String::from_utf8(b)
                .map(Some)
                .map_err(|_| KerasError::msg(format!("{name} in the .keras archive is not UTF-8"))),
            None => Ok(None),
        }
    };
    let config = text("config.json")?
        .ok_or_else(|| KerasError::msg("the .keras archive has no config.json"))?;
    refuse_calibrated(&parse_json(&config, "config.json")?)?;
    let metadata = text("metadata.json")?
        .ok_or_else(|| KerasError::msg("the .keras archive has no metadata.json"))?;
    let mut blobs = Vec::new();
    if let Some(b) = archive.read("model.weights.h5")? {
        blobs.push(("model.weights.h5".to_string(), b));
    } else if let Some(map) = text("model.weights.json")? {
        let map = parse_json(&map, "model.weights.json")?;
        let mut names = BTreeSet::new();
        for v in map
            .get("weight_map")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
        {
            match v {
                Value::String(s) => {
                    names.insert(s.clone());
                }
                Value::Array(a) => {
                    names.extend(a.iter().filter_map(Value::as_str).map(String::from))
                }
                _ => {
                    return Err(KerasError::msg(
                        "model.weights.json: weight_map values must be file names",
                    ))
                }
            }
        }
        for n in names {
            let b = archive.read(&n)?.ok_or_else(|| {
                KerasError::msg(format!(
                    "weight shard `{n}` named in model.weights.json is missing"
                ))
            })?;
            blobs.push((n, b));
        }
    } else {
        return Err(KerasError::msg(
            "the .keras archive has no model.weights.h5 (nor sharded model.weights.json)",
        ));
    }
    let files = blobs
        .iter()
        .map(|(n, b)| H5File::parse(b).map_err(|e| KerasError::msg(format!("{n}: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let topology = v3_topology(&config, Some(&metadata), &files)?;
    let mut notes = Vec::new();
    let weights = v3_weights(&files, &mut notes)?;
    check_unique(&weights)?;
    Ok(Imported {
        artifacts: artifacts(topology, weights),
        notes,
    })
}

/// Refuse a `.keras` config holding GPTQ / AWQ layers: Keras 3.15 writes
/// them without their `kernel_zero` (`Dense.save_own_variables` and
/// `EinsumDense.save_own_variables` skip it, and Keras cannot reload the
/// file either), so their kernels cannot be
/// dequantized. Its legacy `.h5` holds every weight.
fn refuse_calibrated(v: &Value) -> Result<()> {
    let mut found = Vec::new();
    fn visit(v: &Value, found: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                let mode = o
                    .get("dtype")
                    .and_then(|d| d.pointer("/config/mode"))
                    .and_then(Value::as_str)
                    .filter(|m| m.starts_with("gptq/") || m.starts_with("awq/"));
                if let (Some(mode), Some(name)) = (mode, o.get("name").and_then(Value::as_str)) {
                    found.push(format!("`{name}` ({mode})"));
                }
                o.values().for_each(|c| visit(c, found));
            }
            Value::Array(a) => a.iter().for_each(|c| visit(c, found)),
            _ => {}
        }
    }
    visit(v, &mut found);
    if found.is_empty() {
        return Ok(());
    }
    Err(KerasError::msg(format!(
        "GPTQ / AWQ layers {}: Keras 3.15 writes them to `.keras` files without their \
         `kernel_zero` weight (Keras cannot reload such a file either); save the quantized \
         model as legacy HDF5 instead (`model.save(\"model.h5\")`), which holds every weight",
        found.join(", ")
    )))
}

/// A weights-only HDF5 file with a separately given topology:
/// Keras 3 `model.weights.h5` (paths `layers/…/vars/i`), or a tf_keras
/// `save_weights` file (`layer_names` at the root; the converter's
/// `h5_weights_to_tfjs_format`). `topology` is a TF.js model.json (its
/// `modelTopology` is used), a Keras 3 config.json, or a bare topology.
pub fn import_weights_h5(bytes: &[u8], topology: &Value) -> Result<Imported> {
    let file = H5File::parse(bytes)?;
    let topology = match topology.get("modelTopology") {
        Some(t) => t.clone(),
        None if topology.get("model_config").is_some() => topology.clone(),
        None => {
            let mut config = topology.clone();
            discard_keys(&mut config, &["module", "registered_name", "date_saved"]);
            let mut m = Map::new();
            m.insert("model_config".into(), config);
            Value::Object(m)
        }
    };
    let mut notes = Vec::new();
    let weights = if let Some(layer_names) = split_attr_strings(&file.root, "layer_names") {
        if let Some(mc) = topology.get("model_config") {
            let problems = validate(&file.root, mc);
            mismatch(problems)?;
        }
        let mut out = Vec::new();
        for name in layer_names {
            let layer = file
                .root
                .get(&name)
                .ok_or_else(|| KerasError::msg(format!("layer group `{name}` is missing")))?;
            convert_h5_group(&file, layer, &format!("/{name}"), &mut out, &mut notes)?;
        }
        out
    } else if file.root.get("layers").is_some() || file.root.get("vars").is_some() {
        v3_weights(std::slice::from_ref(&file), &mut notes)?
    } else {
        return Err(KerasError::msg(
            "not a Keras weights file: neither `layer_names` (tf_keras) nor `layers/` (Keras 3)",
        ));
    };
    check_unique(&weights)?;
    Ok(Imported {
        artifacts: artifacts(topology, weights),
        notes,
    })
}

/// Keep only a `.keras` model's own weights (`layers/…`, and the model's
/// top-level `vars/…`), dropping optimizer and metric state, which the
/// converter writes as if they were weights and TensorFlow.js cannot place.
pub fn keep_layer_weights(imported: &mut Imported) {
    let a = &mut imported.artifacts;
    let keep: Vec<bool> = a
        .weight_specs
        .iter()
        .map(|w| tfjs_format::codec::is_keras3_model_weight(&w.name))
        .collect();
    if keep.iter().all(|&k| k) {
        return;
    }
    let data = a.weight_data.contiguous().into_owned();
    let mut offset = 0;
    let mut kept_data = Vec::new();
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (spec, k) in a.weight_specs.drain(..).zip(keep) {
        let len = spec.num_elements().unwrap_or(0) * spec.dtype.byte_size().unwrap_or(0);
        if k {
            kept_data.extend_from_slice(&data[offset..offset + len]);
            kept.push(spec);
        } else {
            dropped.push(spec.name);
        }
        offset += len;
    }
    imported.notes.push(format!(
        "{} optimizer/metric variable(s) left out (not model weights): {}",
        dropped.len(),
        dropped.join(", ")
    ));
    a.weight_specs = kept;
    a.weight_data = WeightData::from_vec(kept_data);
}

/// Put back the vocabularies Keras 3 keeps outside the config: an adapted
/// `StringLookup` / `IntegerLookup` / `TextVectorization` is saved with `vocabulary: null` and
/// its vocabulary in the archive's `assets/layers/<path>/vocabulary.txt`
/// (one token a line, the mask and OOV tokens first), where `<path>` is the
/// layer's Keras 3 saving path (class name in snake case, numbered per
/// class among the model's layers). The converter drops them, leaving a
/// model nobody can run; the engine needs them in the config. An adapted
/// TF-IDF lookup (`output_mode: "tf_idf"`) also has `idf_weights: null`,
/// its weights in its variable `vars/idf_weights` (one per index, the
/// reserved ones first, as its vocabulary lists them): they go into the
/// config with the vocabulary, which Keras requires of a TF-IDF lookup
/// given its vocabulary.
pub fn add_asset_vocabularies(imported: &mut Imported, bytes: &[u8]) -> Result<()> {
    let archive = crate::zip::ZipArchive::parse(bytes)?;
    const IDF: &str = "/vars/idf_weights";
    let a = &imported.artifacts;
    let idf: BTreeMap<String, Vec<f32>> = if a.weight_specs.iter().any(|w| w.name.ends_with(IDF)) {
        tfjs_format::codec::decode_weights(&a.weight_specs, &a.weight_data)
            .map_err(|e| KerasError::msg(format!("cannot decode the weights: {e}")))?
            .into_iter()
            .filter(|w| w.name.ends_with(IDF))
            .filter_map(|w| match w.values {
                tfjs_format::codec::TensorValues::Float32(v) => Some((w.name, v)),
                _ => None,
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    let Some(layers) = imported
        .artifacts
        .model_topology
        .as_mut()
        .and_then(|t| t.get_mut("model_config"))
        .and_then(|c| c.get_mut("config"))
        .and_then(|c| c.get_mut("layers"))
        .and_then(Value::as_array_mut)
    else {
        return Ok(());
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for layer in layers.iter_mut() {
        if tfjs_format::topology::is_keras3_operation(layer) {
            continue;
        }
        let class = topology::layer_entry_class(layer).to_string();
        let base = tfjs_format::topology::keras3_path_name(&class);
        let n = counts.entry(base.clone()).or_default();
        let path = if *n == 0 { base } else { format!("{base}_{n}") };
        *n += 1;
        let integers = match class.as_str() {
            "StringLookup" | "TextVectorization" => false,
            "IntegerLookup" => true,
            _ => continue,
        };

        let Some(config) = layer.get_mut("config").and_then(Value::as_object_mut) else {
            continue;
        };
        if !config.get("vocabulary").is_none_or(Value::is_null) {
            continue;
        }
        let file = format!("assets/layers/{path}/vocabulary.txt");
        let Some(text) = archive.read(&file)? else {
            continue;
        };
        let text = String::from_utf8(text)
            .map_err(|_| KerasError::msg(format!("{file} in the .keras archive is not UTF-8")))?;
        // One token a line, as `get_vocabulary()` gives them: the mask and
        // OOV tokens first, which the lookup drops when it reads the
        // vocabulary, as Keras's `set_vocabulary` does.
        let tokens: Vec<&str> = if text.is_empty() {
            Vec::new()
        } else {
            text.split('\n').collect()
        };
        let vocabulary = tokens
            .iter()
            .map(|t| {
                if integers {
                    t.parse::<i64>().map(Value::from).map_err(|_| {
                        KerasError::msg(format!("{file}: `{t}` is not an integer token"))
                    })
                } else {
                    Ok(Value::from(*t))
                }
            })
            .collect::<Result<Vec<Value>>>()?;
        let name = config
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&path)
            .to_string();
        imported.notes.push(format!(
            "layer `{name}` ({class}): vocabulary of {} entries (the reserved tokens first) read from {file}",
            vocabulary.len()
        ));
        let tf_idf = config.get("output_mode").and_then(Value::as_str) == Some("tf_idf");
        let var = format!("layers/{path}{IDF}");
        match idf.get(&var) {
            Some(w) if tf_idf && config.get("idf_weights").is_none_or(Value::is_null) => {
                // Past the vocabulary: `pad_to_max_tokens`'s zeros, which
                // Keras pads again.
                let given = w.get(..vocabulary.len()).ok_or_else(|| {
                    KerasError::msg(format!(
                        "{var}: {} idf weights for a vocabulary of {} entries",
                        w.len(),
                        vocabulary.len()
                    ))
                })?;
                let given: Vec<Value> = given.iter().map(|&x| Value::from(f64::from(x))).collect();
                imported.notes.push(format!(
                    "layer `{name}` ({class}): {} idf weights read from {var}",
                    given.len()
                ));
                config.insert("idf_weights".into(), Value::Array(given));
            }
            _ => {}
        }
        config.insert("vocabulary".into(), Value::Array(vocabulary));
    }
    Ok(())
}
