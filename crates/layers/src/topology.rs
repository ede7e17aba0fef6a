//! Topology parsing: every model JSON dialect → one normalized graph spec.
//!
//! Accepted: TensorFlow.js-saved `Sequential`/`Model`, converter output
//! wrapped in `model_config` (Keras 2 `Functional`/`Model`/`Sequential`),
//! Keras 3 configs (`batch_shape`, dict `inbound_nodes` with
//! `__keras_tensor__`/`keras_history`, `DTypePolicy` dtypes,
//! `module`/`registered_name`/`build_config`), legacy Keras 1 Sequential
//! arrays, and nested models. A Sequential becomes a chain of nodes with an
//! input layer (explicit, or the auto-created `<first layer>_input`).
//!
//! ```
//! let topo = serde_json::json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
//!     {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3]}}]}});
//! let spec = tfjs_layers::topology::parse_topology(&topo).unwrap();
//! assert_eq!(spec.layers[0].name, "d_input");
//! assert_eq!(spec.layers[1].inbound[0][0].layer, "d_input");
//! ```

use crate::{LayersError, Result, Shape};
use serde_json::{Map, Value};

/// One inbound tensor of a layer call: `[layer, node_index, tensor_index, kwargs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    pub layer: String,
    /// The node index as written in the file (for nested models TF.js and
    /// Keras count from 1).
    pub node: usize,
    pub tensor: usize,
    /// Call kwargs (`{}` when absent).
    pub kwargs: Value,
}

/// The input layer of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    /// Full shape, batch first (`None` = unknown).
    pub batch_shape: Shape,
    /// `"float32"` or `"int32"` (anything else is kept verbatim).
    pub dtype: String,
    pub sparse: bool,
}

/// What a layer entry is.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    /// An `InputLayer`.
    Input(InputSpec),
    /// A layer built through the registry.
    Leaf,
    /// A Sequential/Model/Functional used as a layer.
    Nested(Box<ModelSpec>),
}

/// One entry of the model's `layers`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpec {
    pub name: String,
    pub class_name: String,
    /// Normalized config (Keras 3 specifics removed).
    pub config: Map<String, Value>,
    /// One list of inbound tensors per call, in call order.
    pub inbound: Vec<Vec<TensorRef>>,
    pub kind: LayerKind,
}

/// A parsed model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// `Sequential`, `Model` or `Functional` (as written).
    pub class_name: String,
    pub name: String,
    /// Whether the model is trainable (`config.trainable`, default true).
    pub trainable: bool,
    pub layers: Vec<LayerSpec>,
    pub inputs: Vec<TensorRef>,
    pub outputs: Vec<TensorRef>,
    /// For a Sequential whose input layer was auto-created (not serialized).
    pub auto_input: bool,
}

impl ModelSpec {
    /// Is this a Sequential model?
    pub fn is_sequential(&self) -> bool {
        self.class_name == "Sequential"
    }
}

fn topo_err(message: impl Into<String>) -> LayersError {
    LayersError::Topology {
        message: message.into(),
    }
}

/// Parse a `modelTopology` value (with or without the `model_config` wrapper).
pub fn parse_topology(topology: &Value) -> Result<ModelSpec> {
    let obj = topology.as_object().ok_or_else(|| {
        topo_err(format!(
            "modelTopology must be a JSON object, got {}",
            short(topology)
        ))
    })?;
    if let Some(mc) = obj.get("model_config").filter(|v| !v.is_null()) {
        return parse_topology(mc);
    }
    parse_model_object(obj, "modelTopology")
}

fn parse_model_object(obj: &Map<String, Value>, path: &str) -> Result<ModelSpec> {
    let class = obj
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| topo_err(format!("{path}: missing string `class_name`")))?;
    let config = obj
        .get("config")
        .ok_or_else(|| topo_err(format!("{path}: missing `config`")))?;
    match class {
        "Sequential" => parse_sequential(config, path),
        "Model" | "Functional" => parse_functional(class, config, path),
        other => Err(topo_err(format!(
            "{path}: class_name `{other}` is not a model class (expected Sequential, Model or Functional)"
        ))),
    }
}

/// Is `class` a model class usable as a nested layer?
pub fn is_model_class(class: &str) -> bool {
    matches!(class, "Sequential" | "Model" | "Functional")
}

/// Keras → TensorFlow.js class name aliases applied everywhere.
pub fn canonical_class(class: &str) -> &str {
    match class {
        "BatchNormalizationV1" | "BatchNormalizationV2" => "BatchNormalization",
        "UnifiedGRU" | "GRUV2" => "GRU",
        "UnifiedLSTM" | "LSTMV2" => "LSTM",
        other => other,
    }
}

/// TensorFlow.js `toSnakeCase` (`Conv2D` → `conv2d`, `ReLU` → `re_lu`).
pub fn to_snake_case(s: &str) -> String {
    // (1) (.)([A-Z][a-z0-9]+) → $1_$2
    let c: Vec<char> = s.chars().collect();
    let mut step1 = String::new();
    let mut i = 0;
    while i < c.len() {
        step1.push(c[i]);
        if i + 1 < c.len()
            && c[i + 1].is_ascii_uppercase()
            && i + 2 < c.len()
            && (c[i + 2].is_ascii_lowercase() || c[i + 2].is_ascii_digit())
        {
            // Consume the whole match `[A-Z][a-z0-9]+` so overlapping matches are skipped.
            step1.push('_');
            let mut j = i + 1;
            step1.push(c[j]);
            j += 1;
            while j < c.len() && (c[j].is_ascii_lowercase() || c[j].is_ascii_digit()) {
                step1.push(c[j]);
                j += 1;
            }
            // The regex's next match starts after the consumed text.
            i = j;
            continue;
        }
        i += 1;
    }
    // (2) ([a-z])([A-Z]) → $1_$2
    let c: Vec<char> = step1.chars().collect();
    let mut out = String::new();
    let mut k = 0;
    while k < c.len() {
        out.push(c[k]);
        if c[k].is_ascii_lowercase() && k + 1 < c.len() && c[k + 1].is_ascii_uppercase() {
            out.push('_');
            out.push(c[k + 1]);
            k += 2;
            continue;
        }
        k += 1;
    }
    let out = out.to_lowercase();
    if out.starts_with('_') {
        format!("private{out}")
    } else {
        out
    }
}

/// Normalize a layer config: Keras 3 `batch_shape` → `batch_input_shape`,
/// `DTypePolicy` objects → dtype strings, and `module` / `registered_name` /
/// `shared_object_id` keys dropped from every serialized object.
pub fn normalize_config(config: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in config {
        let key = if k == "batch_shape" && !config.contains_key("batch_input_shape") {
            "batch_input_shape"
        } else {
            k.as_str()
        };
        let v = if key == "dtype" {
            dtype_value(v)
        } else {
            normalize_value(v)
        };
        out.insert(key.to_string(), v);
    }
    out
}

fn dtype_value(v: &Value) -> Value {
    match v {
        Value::Object(o) => match o.get("config").and_then(|c| c.get("name")) {
            Some(Value::String(s)) => Value::String(s.clone()),
            _ => normalize_value(v),
        },
        _ => v.clone(),
    }
}

fn normalize_value(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let serialized = o.contains_key("class_name");
            let mut out = Map::new();
            for (k, x) in o {
                if serialized
                    && matches!(
                        k.as_str(),
                        "module" | "registered_name" | "shared_object_id"
                    )
                {
                    continue;
                }
                if serialized && k == "class_name" {
                    if let Value::String(s) = x {
                        out.insert(k.clone(), Value::String(canonical_class(s).to_string()));
                        continue;
                    }
                }
                if k == "config" && serialized {
                    if let Value::Object(c) = x {
                        out.insert(k.clone(), Value::Object(normalize_config(c)));
                        continue;
                    }
                }
                let x = if k == "dtype" {
                    dtype_value(x)
                } else {
                    normalize_value(x)
                };
                out.insert(k.clone(), x);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize_value).collect()),
        other => other.clone(),
    }
}

/// Parse a shape list with `null` dims.
pub fn parse_shape(v: &Value, what: &str) -> Result<Shape> {
    let arr = v
        .as_array()
        .ok_or_else(|| topo_err(format!("{what}: expected a shape list, got {}", short(v))))?;
    arr.iter()
        .map(|d| {
            if d.is_null() {
                Ok(None)
            } else {
                as_index(d).map(Some).ok_or_else(|| {
                    topo_err(format!(
                        "{what}: dimension {d} is not a non-negative integer or null"
                    ))
                })
            }
        })
        .collect()
}

fn as_index(v: &Value) -> Option<usize> {
    if let Some(u) = v.as_u64() {
        return usize::try_from(u).ok();
    }
    let f = v.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as usize)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

fn input_spec_from_input_layer(name: &str, config: &Map<String, Value>) -> Result<InputSpec> {
    let bis = config.get("batch_input_shape").filter(|v| !v.is_null());
    let is = config.get("input_shape").filter(|v| !v.is_null());
    let batch_shape = match (bis, is) {
        (Some(_), Some(_)) => return Err(LayersError::config(name, "Only provide the inputShape OR batchInputShape argument to inputLayer, not both at the same time.")),
        (Some(b), None) => parse_shape(b, &format!("layer `{name}`: batch_input_shape"))?,
        (None, Some(s)) => {
            let mut shape = vec![config.get("batch_size").and_then(as_index)];
            shape.extend(parse_shape(s, &format!("layer `{name}`: input_shape"))?);
            shape
        }
        (None, None) => {
            return Err(LayersError::config(
                name,
                "An InputLayer should be passed either a `batchInputShape` or an `inputShape`.",
            ))
        }
    };
    let dtype = config
        .get("dtype")
        .and_then(Value::as_str)
        .unwrap_or("float32")
        .to_string();
    Ok(InputSpec {
        batch_shape,
        dtype,
        sparse: config
            .get("sparse")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Build a layer spec (without inbound nodes) from a `{class_name, config}` entry.
fn parse_layer_entry(
    entry: &Value,
    path: &str,
    auto_name: &mut dyn FnMut(&str) -> String,
) -> Result<LayerSpec> {
    let obj = entry.as_object().ok_or_else(|| {
        topo_err(format!(
            "{path}: layer entry must be an object, got {}",
            short(entry)
        ))
    })?;
    let class = obj
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            topo_err(format!(
                "{path}: layer: Improper config format: {}. 'className' and 'config' must set.",
                short(entry)
            ))
        })?;
    let class = canonical_class(class).to_string();
    let raw_config = obj.get("config").ok_or_else(|| {
        topo_err(format!(
            "{path}: layer: Improper config format: {}. 'className' and 'config' must set.",
            short(entry)
        ))
    })?;
    let empty = Map::new();
    let config_obj = match raw_config {
        Value::Object(o) => o,
        Value::Null => &empty,
        // Legacy Sequential nested as a bare array of layers.
        Value::Array(_) if class == "Sequential" => &empty,
        other => {
            return Err(topo_err(format!(
                "{path}: `config` of a {class} must be an object, got {}",
                short(other)
            )))
        }
    };
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| config_obj.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| auto_name(&class));
    if is_model_class(&class) {
        let mut nested = parse_model_object(obj, &format!("{path} (model `{name}`)"))?;
        if nested.name.is_empty() {
            nested.name = name.clone();
        }
        return Ok(LayerSpec {
            name,
            class_name: class,
            config: normalize_config(config_obj),
            inbound: Vec::new(),
            kind: LayerKind::Nested(Box::new(nested)),
        });
    }
    let mut config = normalize_config(config_obj);
    if !config.contains_key("name") {
        config.insert("name".into(), Value::String(name.clone()));
    }
    let kind = if class == "InputLayer" {
        LayerKind::Input(input_spec_from_input_layer(&name, &config)?)
    } else {
        LayerKind::Leaf
    };
    Ok(LayerSpec {
        name,
        class_name: class,
        config,
        inbound: Vec::new(),
        kind,
    })
}

fn parse_sequential(config: &Value, path: &str) -> Result<ModelSpec> {
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
                o.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("sequential_1")
                    .to_string(),
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
    let mut counters = std::collections::HashMap::<String, usize>::new();
    let mut auto_name = |class: &str| {
        let n = counters.entry(class.to_string()).or_insert(0);
        *n += 1;
        format!("{}_{}{}", to_snake_case(class), class, n)
    };
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
    })
}

/// The input a Sequential's first (non-input) layer implies.
fn sequential_input(first: &LayerSpec) -> Result<InputSpec> {
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
    let what = |k: &str| format!("layer `{}`: {k}", first.name);
    let batch_shape = if let Some(b) = get("batch_input_shape") {
        parse_shape(b, &what("batch_input_shape"))?
    } else if let Some(s) = get("input_shape") {
        let mut shape = vec![get("batch_size").and_then(as_index)];
        shape.extend(parse_shape(s, &what("input_shape"))?);
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
    let dtype = c
        .get("dtype")
        .and_then(Value::as_str)
        .unwrap_or("float32")
        .to_string();
    Ok(InputSpec {
        batch_shape,
        dtype,
        sparse: false,
    })
}

fn parse_functional(class: &str, config: &Value, path: &str) -> Result<ModelSpec> {
    let o = config.as_object().ok_or_else(|| {
        topo_err(format!(
            "{path}: config of a {class} must be an object, got {}",
            short(config)
        ))
    })?;
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("model1")
        .to_string();
    let layers = o
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| topo_err(format!("{path}: model `{name}` has no `layers` list")))?;
    let mut counters = std::collections::HashMap::<String, usize>::new();
    let mut auto_name = |class: &str| {
        let n = counters.entry(class.to_string()).or_insert(0);
        *n += 1;
        format!("{}_{}{}", to_snake_case(class), class, n)
    };
    let mut specs = Vec::with_capacity(layers.len());
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
                let tensor_kwargs = takes_tensor_kwargs(&spec.class_name)
                    || spec.class_name.starts_with(KERAS3_OPERATION_PREFIX);
                // `Attention(use_causal_mask=True)`: flags only, no tensors.
                let keep_kwargs = tensor_kwargs
                    || matches!(spec.class_name.as_str(), "Attention" | "AdditiveAttention");
                let mut refs = parse_node(node, &spec.name, n, keep_kwargs)?;
                if tensor_kwargs && !is_keras3_node(node) {
                    append_kwarg_tensors(&mut refs);
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
    let inputs = parse_io_list(
        o.get("input_layers"),
        &format!("{path}: model `{name}` input_layers"),
    )?;
    let outputs = parse_io_list(
        o.get("output_layers"),
        &format!("{path}: model `{name}` output_layers"),
    )?;
    Ok(ModelSpec {
        class_name: class.to_string(),
        name,
        trainable: o.get("trainable").and_then(Value::as_bool).unwrap_or(true),
        layers: specs,
        inputs,
        outputs,
        auto_input: false,
    })
}

fn parse_io_list(v: Option<&Value>, what: &str) -> Result<Vec<TensorRef>> {
    let v = v
        .filter(|v| !v.is_null())
        .ok_or_else(|| topo_err(format!("{what}: missing")))?;
    let arr = v.as_array().ok_or_else(|| {
        topo_err(format!(
            "{what}: expected a list of [layer, node, tensor], got {}",
            short(v)
        ))
    })?;
    // Keras 3 writes a single flat triple for one input/output.
    if arr.first().map(Value::is_string).unwrap_or(false) {
        return Ok(vec![parse_triple(v, what)?]);
    }
    arr.iter()
        .enumerate()
        .map(|(i, t)| parse_triple(t, &format!("{what}[{i}]")))
        .collect()
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
/// Classes whose Keras 2 call kwargs may hold tensors (wired as extra
/// inputs): the `tf.*` functions and `MultiHeadAttention` (`value=`,
/// `key=`, `attention_mask=`).
fn takes_tensor_kwargs(class_name: &str) -> bool {
    matches!(
        class_name,
        "TFOpLambda" | "SlicingOpLambda" | "MultiHeadAttention"
    )
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
            let tensors: Vec<TensorRef> = kwargs.values().filter_map(kwarg_tensor).collect();
            kwargs.insert("_CONSTANT_VALUE".into(), constant);
            let mut tensors = tensors.into_iter();
            let mut first = tensors.next().ok_or_else(|| {
                topo_err(format!(
                    "{what}: a call with a constant first argument and no tensor argument: {}",
                    short(node)
                ))
            })?;
            // The first tensor carries the call's kwargs (the layer reads
            // them there); the kwargs' tensors are then wired by
            // `append_kwarg_tensors` (this first one is one of them).
            first.kwargs = Value::Object(kwargs);
            let _ = tensors;
            Ok(vec![first])
        }
        Value::Array(refs) if refs.first().is_some_and(Value::is_string) => {
            Ok(vec![parse_triple(node, &what)?])
        }
        Value::Array(refs) => refs
            .iter()
            .enumerate()
            .map(|(i, r)| parse_triple(r, &format!("{what}[{i}]")))
            .collect(),
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

/// Tensors passed to a `tf.*` function as keyword arguments (Keras 2
/// writes them as `[layer, node, tensor]` in the kwargs: `{"y": ["d", 0,
/// 0]}`) become extra inputs of the call, after the positional ones, in
/// the kwargs' key order; the layer reads them back in the same order.
fn append_kwarg_tensors(refs: &mut Vec<TensorRef>) {
    let mut extra = Vec::new();
    for r in refs.iter() {
        if let Value::Object(kw) = &r.kwargs {
            for v in kw.values() {
                if let Some(t) = kwarg_tensor(v) {
                    extra.push(t);
                }
            }
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
    use serde_json::json;

    #[test]
    fn snake_case_matches_tfjs() {
        for (a, b) in [
            ("Dense", "dense"),
            ("Conv2D", "conv2d"),
            ("ReLU", "re_lu"),
            ("PReLU", "p_re_lu"),
            ("ConvLSTM2D", "conv_lst_m2d"),
            ("SeparableConv2D", "separable_conv2d"),
            ("BatchNormalization", "batch_normalization"),
            ("DepthwiseConv2D", "depthwise_conv2d"),
            ("batchInputShape", "batch_input_shape"),
            ("TensorFlow.js", "tensor_flow.js"),
        ] {
            assert_eq!(to_snake_case(a), b, "{a}");
        }
    }

    #[test]
    fn keras3_nodes_and_dtype_policy_normalize() {
        let topo = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_shape": [null, 3], "dtype": "float32", "name": "a"}},
            {"class_name": "Add", "name": "add", "config": {"name": "add",
               "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}},
             "inbound_nodes": [{"args": [[
                 {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}},
                 {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}}]],
               "kwargs": {}}]}],
            "input_layers": ["a", 0, 0], "output_layers": ["add", 0, 0]}});
        let s = parse_topology(&topo).unwrap();
        assert_eq!(s.inputs.len(), 1);
        assert_eq!(s.layers[1].inbound[0].len(), 2);
        assert_eq!(s.layers[1].config["dtype"], json!("float32"));
        match &s.layers[0].kind {
            LayerKind::Input(i) => assert_eq!(i.batch_shape, vec![None, Some(3)]),
            _ => panic!("not an input"),
        }
    }

    /// What Keras 3 writes for the mask of a merge of masked tensors
    /// (`attention_layers` in the corpus): `ConvertToTensor` (a `dtype`
    /// argument, null), `ExpandDims`, `ZerosLike(dtype="bool")`,
    /// `LogicalOr` — operations, although two have a `dtype`; a layer
    /// without `trainable` (`SpatialDropout1D`) stays a layer.
    #[test]
    fn keras3_mask_operations_with_dtype_are_operations() {
        let t = |l: &str| json!({"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": [l, 0, 0]}});
        let topo = json!({"class_name": "Functional", "config": {"name": "f", "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_shape": [null, 3], "dtype": "float32", "name": "a"}},
            {"class_name": "ConvertToTensor", "name": "ct", "config": {"name": "ct", "dtype": null, "sparse": null, "ragged": null},
             "inbound_nodes": [{"args": [t("a")], "kwargs": {}}]},
            {"class_name": "ExpandDims", "name": "ed", "config": {"name": "ed", "axis": -1},
             "inbound_nodes": [{"args": [t("ct")], "kwargs": {}}]},
            {"class_name": "ExpandDims", "name": "ed1", "config": {"name": "ed1", "axis": 1},
             "inbound_nodes": [{"args": [t("a")], "kwargs": {}}]},
            {"class_name": "ZerosLike", "name": "zl", "config": {"name": "zl", "dtype": "bool"},
             "inbound_nodes": [{"args": [t("ed1")], "kwargs": {}}]},
            {"class_name": "LogicalOr", "name": "or", "config": {"name": "or"},
             "inbound_nodes": [{"args": [t("ed"), t("zl")], "kwargs": {}}]},
            {"class_name": "SpatialDropout1D", "name": "sd", "config": {"name": "sd", "rate": 0.2, "seed": null, "dtype": "float32"},
             "inbound_nodes": [{"args": [t("or")], "kwargs": {}}]}],
            "input_layers": ["a", 0, 0], "output_layers": [["or", 0, 0], ["ed", 0, 0]]}});
        let s = parse_topology(&topo).unwrap();
        let classes: Vec<&str> = s.layers.iter().map(|l| l.class_name.as_str()).collect();
        assert_eq!(
            classes,
            [
                "InputLayer",
                "ops.ConvertToTensor",
                "ops.ExpandDims",
                "ops.ExpandDims",
                "ops.ZerosLike",
                "ops.LogicalOr",
                "SpatialDropout1D"
            ]
        );
        let m =
            crate::Model::from_topology(&topo, &crate::LayerRegistry::with_builtins(), 0).unwrap();
        let x = crate::Tensor::from_f32(vec![2, 3], vec![0.0, 2.0, -1.0, 0.0, 0.0, 0.5]).unwrap();
        let y = m.predict(&[x]).unwrap();
        // [b, 3, 1] (the values as a 0/1 mask) OR [b, 1, 3] zeros → [b, 3, 3].
        assert_eq!(y[0].shape(), &[2, 3, 3]);
        assert_eq!(
            y[0].as_f32().unwrap(),
            &[0., 0., 0., 1., 1., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 1., 1., 1.]
        );
        assert_eq!(y[1].shape(), &[2, 3, 1]);
        assert_eq!(y[1].as_f32().unwrap(), &[0.0, 2.0, -1.0, 0.0, 0.0, 0.5]);
    }

    #[test]
    fn sequential_without_input_shape_is_rejected() {
        let topo = json!({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"name": "d", "units": 1}}]}});
        let e = parse_topology(&topo).unwrap_err().to_string();
        assert!(e.contains("`d`") && e.contains("batchInputShape"), "{e}");
    }
}
