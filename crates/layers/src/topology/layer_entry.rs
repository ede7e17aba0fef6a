//! One layer entry of a model's `layers` list: its canonical class, its
//! name (written, or auto-generated as TF.js does), its config normalized
//! (Keras 3 `batch_shape`, `DTypePolicy` and `module` keys removed) and,
//! for an `InputLayer`, its input spec. Nested models recurse into
//! [`super::parse_model_object`].

use super::{
    as_index, canonical_class, object, parse_model_object, parse_shape, short, topo_err, InputSpec,
    LayerKind, LayerSpec,
};
use crate::{LayersError, Result, Shape};
use serde_json::{Map, Value};

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

fn input_spec_from_input_layer(name: &str, config: &Map<String, Value>) -> Result<InputSpec> {
    let stated = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
    if stated("batch_input_shape") && stated("input_shape") {
        return Err(LayersError::config(name, "Only provide the inputShape OR batchInputShape argument to inputLayer, not both at the same time."));
    }
    let batch_shape = stated_batch_shape(name, config)?.ok_or_else(|| {
        LayersError::config(
            name,
            "An InputLayer should be passed either a `batchInputShape` or an `inputShape`.",
        )
    })?;
    Ok(InputSpec {
        batch_shape,
        dtype: config_dtype(config),
        sparse: config
            .get("sparse")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// The batch shape a layer config states: `batch_input_shape`, else
/// `[batch_size, ...input_shape]`; `None` when it states neither.
pub(super) fn stated_batch_shape(name: &str, config: &Map<String, Value>) -> Result<Option<Shape>> {
    let get = |k: &str| config.get(k).filter(|v| !v.is_null());
    let what = |k: &str| format!("layer `{name}`: {k}");
    if let Some(b) = get("batch_input_shape") {
        return parse_shape(b, &what("batch_input_shape")).map(Some);
    }
    let Some(s) = get("input_shape") else {
        return Ok(None);
    };
    let mut shape = vec![get("batch_size").and_then(as_index)];
    shape.extend(parse_shape(s, &what("input_shape"))?);
    Ok(Some(shape))
}

/// A config's `dtype` (`float32` when absent).
pub(super) fn config_dtype(config: &Map<String, Value>) -> String {
    config
        .get("dtype")
        .and_then(Value::as_str)
        .unwrap_or("float32")
        .to_string()
}

/// TF.js's names for unnamed layers (`<snake_case>_<Class><n>`, `n`
/// counted per class from 1).
pub(super) fn auto_namer() -> impl FnMut(&str) -> String {
    let mut counters = std::collections::HashMap::<String, usize>::new();
    move |class: &str| {
        let n = counters.entry(class.to_string()).or_insert(0);
        *n += 1;
        format!("{}_{}{}", to_snake_case(class), class, n)
    }
}

/// Build a layer spec (without inbound nodes) from a `{class_name, config}` entry.
pub(super) fn parse_layer_entry(
    entry: &Value,
    path: &str,
    auto_name: &mut dyn FnMut(&str) -> String,
) -> Result<LayerSpec> {
    let obj = object(entry, path, "layer entry")?;
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
    if let Some(base) = super::nested_model_class(&class, raw_config) {
        let mpath = format!("{path} (model `{name}`)");
        let revived;
        let subclass = (base != class).then(|| class.clone());
        let obj = if let Some(sub) = &subclass {
            super::model_subclass::warn(sub, &base, &mpath);
            revived = super::subclass_object(obj, &base);
            &revived
        } else {
            obj
        };
        let class = base;
        let mut nested = parse_model_object(obj, &mpath)?;
        nested.subclass = subclass;
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
