//! Keras config values as TensorFlow.js writes them: numbers, int lists,
//! activations, data formats, initializers, regularizers, constraints.
//!
//! Accepts what TensorFlow.js, Keras 2 and Keras 3 write (class-name
//! spellings, `module` / `registered_name` keys) and writes TensorFlow.js's
//! spelling back.

use crate::activations::{Activation, Slope};
use crate::config::ConfigReader;
use crate::Result;
use serde_json::{json, Map, Value};

/// Parse an `activation` field (absent → `linear`).
pub(crate) fn activation_field(cfg: &ConfigReader<'_>, key: &str) -> Result<Activation> {
    activation_or(cfg, key, Activation::Linear)
}

/// Parse an activation field (a name; Keras 3 may write
/// `{"class_name": …, "config": {"name": …}}`); absent → `default`.
pub(crate) fn activation_or(
    cfg: &ConfigReader<'_>,
    key: &str,
    default: Activation,
) -> Result<Activation> {
    let name = match cfg.get(key) {
        None => return Ok(default),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) if is_activation_layer(o) => {
            return layer_activation(o, cfg.dialect).map_err(|e| cfg.err(key, e));
        }
        // A function is `{"class_name": "function", "config": "<name>"}`
        // (Keras 3; a registered one `<package>><name>`).
        Some(Value::Object(o)) => o
            .get("config")
            .and_then(|c| c.as_str().or_else(|| c.get("name").and_then(Value::as_str)))
            .or_else(|| o.get("class_name").and_then(Value::as_str))
            .ok_or_else(|| cfg.err(key, "expected an activation name"))?,
        Some(v) => return Err(cfg.err(key, format!("expected an activation name, got {v}"))),
    };
    if name.contains('>') {
        // `register_keras_serializable(package)` names: Python code.
        return Err(cfg.err(
            key,
            format!(
                "the custom activation function `{name}` (registered with \
                 register_keras_serializable) is Python code, which cannot be loaded; use a \
                 built-in activation or port it to Rust"
            ),
        ));
    }
    Activation::parse_in(name, cfg.dialect).map_err(|e| cfg.err(key, e.to_string()))
}

/// The advanced-activation layer classes Keras accepts as an `activation`
/// (`Dense(activation=LeakyReLU(0.1))`): Keras deserializes the layer and
/// calls it on the output, so the config holds the layer's config, whose
/// `name` is the layer's name (`leaky_re_lu`), not an activation's.
const ACTIVATION_LAYERS: &[&str] = &[
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Softmax",
    "ThresholdedReLU",
    "PReLU",
    "Activation",
];

fn is_activation_layer(o: &Map<String, Value>) -> bool {
    o.get("class_name")
        .and_then(Value::as_str)
        .is_some_and(|c| ACTIVATION_LAYERS.contains(&c))
        && o.get("config").is_some_and(Value::is_object)
}

/// Whether `value` is an advanced-activation layer object (an
/// `activation` field's value) that no [`Activation`] computes: a
/// `PReLU`, an `ELU(alpha=0.5)`, a `ReLU(negative_slope=0.1)`, … (built as
/// a layer of its own after the layer, `layers/activation_object.rs`).
pub(crate) fn is_activation_layer_object(value: &Value, dialect: crate::Dialect) -> bool {
    value
        .as_object()
        .is_some_and(|o| is_activation_layer(o) && layer_activation(o, dialect).is_err())
}

/// An advanced-activation layer given as an `activation`, as the
/// [`Activation`] it computes: `ReLU()` / `ReLU(max_value=6)`, `ELU(alpha=1)`,
/// `LeakyReLU` with any slope, `Softmax(axis=-1)`, `Activation(name)`.
/// Other parameters have no [`Activation`] and are refused, naming the
/// class and parameter (a silently different slope or clip would be wrong).
fn layer_activation(
    o: &Map<String, Value>,
    dialect: crate::Dialect,
) -> std::result::Result<Activation, String> {
    let class = o.get("class_name").and_then(Value::as_str).unwrap_or("");
    let c = o.get("config").and_then(Value::as_object);
    // Keras computes in float32: a slope saved as 0.10000000149011612 is 0.1.
    let num_of = |k: &str| {
        c.and_then(|c| c.get(k))
            .and_then(Value::as_f64)
            .map(|v| v as f32)
    };
    let refuse = |what: String| {
        Err(format!(
            "a {class} layer given as the activation with {what} is not supported (as an \
             activation layer object: ReLU() or ReLU(max_value=6), ELU(alpha=1), \
             LeakyReLU(negative_slope), Softmax(axis=-1), Activation(name)); apply it as \
             its own layer instead"
        ))
    };
    match class {
        "Activation" => {
            let name = c
                .and_then(|c| c.get("activation"))
                .and_then(Value::as_str)
                .ok_or("an Activation layer given as the activation has no `activation` name")?;
            Activation::parse_in(name, dialect).map_err(|e| e.to_string())
        }
        "ReLU" => {
            let slope = num_of("negative_slope").unwrap_or(0.0);
            let threshold = num_of("threshold").unwrap_or(0.0);
            if slope != 0.0 || threshold != 0.0 {
                return refuse(format!("negative_slope {slope}, threshold {threshold}"));
            }
            match num_of("max_value") {
                None => Ok(Activation::Relu),
                Some(6.0) => Ok(Activation::Relu6),
                Some(m) => refuse(format!("max_value {m}")),
            }
        }
        "ELU" => match num_of("alpha").unwrap_or(1.0) {
            1.0 => Ok(Activation::Elu),
            a => refuse(format!("alpha {a}")),
        },
        "LeakyReLU" => {
            // tf_keras writes `alpha`, Keras 3 `negative_slope`; the layers'
            // default is 0.3 (the `leaky_relu` function's is 0.2).
            let slope = num_of("negative_slope")
                .or_else(|| num_of("alpha"))
                .unwrap_or(0.3);
            if slope.is_finite() {
                Ok(Activation::LeakyRelu(Slope::new(slope)))
            } else {
                refuse(format!("negative_slope {slope}"))
            }
        }
        "Softmax" => {
            let axis = c.and_then(|c| c.get("axis"));
            match axis {
                None | Some(Value::Null) => Ok(Activation::Softmax),
                Some(a) if a.as_i64() == Some(-1) => Ok(Activation::Softmax),
                Some(Value::Array(v)) if v.len() == 1 && v[0].as_i64() == Some(-1) => {
                    Ok(Activation::Softmax)
                }
                Some(a) => refuse(format!("axis {a}")),
            }
        }
        _ => refuse("its parameters".to_string()),
    }
}

/// A `data_format` field: `true` for `channels_first`.
pub(crate) fn channels_first(cfg: &ConfigReader<'_>) -> Result<bool> {
    match cfg.str_or("data_format", "channels_last")? {
        "channels_last" | "channelsLast" => Ok(false),
        "channels_first" | "channelsFirst" => Ok(true),
        other => Err(cfg.err(
            "data_format",
            format!("expected channels_last or channels_first, got {other:?}"),
        )),
    }
}

/// The JSON spelling of a data format.
pub(crate) fn data_format_value(channels_first: bool) -> Value {
    json!(if channels_first {
        "channels_first"
    } else {
        "channels_last"
    })
}

/// A number as a JSON value (integral values are written as integers, as
/// JavaScript does).
pub(crate) fn num(x: f64) -> Value {
    tfjs_format::json::js_number_value(x)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A list of ints as JSON.
pub(crate) fn ints(v: &[usize]) -> Value {
    Value::Array(v.iter().map(|&x| json!(x)).collect())
}

fn vs(scale: f64, mode: &str, distribution: &str, seed: Value) -> Value {
    json!({"class_name": "VarianceScaling", "config": {"scale": num(scale), "mode": mode, "distribution": distribution, "seed": seed}})
}

/// TF.js's default kernel initializer, glorotNormal written as VarianceScaling.
pub(crate) fn glorot_normal_default() -> Value {
    vs(1.0, "fan_avg", "normal", Value::Null)
}
/// glorotUniform written as VarianceScaling (SeparableConv2D defaults).
pub(crate) fn glorot_uniform_default() -> Value {
    vs(1.0, "fan_avg", "uniform", Value::Null)
}
/// `{"class_name": "Zeros", "config": {}}`.
pub(crate) fn zeros_init() -> Value {
    json!({"class_name": "Zeros", "config": {}})
}
/// `{"class_name": "Ones", "config": {}}`.
pub(crate) fn ones_init() -> Value {
    json!({"class_name": "Ones", "config": {}})
}

/// An initializer field as TF.js writes it: Keras' `GlorotUniform` etc.
/// become `VarianceScaling`, `module`/`registered_name` and Keras-only
/// config keys are dropped; absent → `default`.
pub(crate) fn initializer(
    cfg: &ConfigReader<'_>,
    key: &str,
    default: impl FnOnce() -> Value,
) -> Value {
    cfg.get(key).map_or_else(default, initializer_value)
}

/// An initializer value in TF.js's spelling (see [`initializer`]).
pub(crate) fn initializer_value(v: &Value) -> Value {
    let (class, config) = match v {
        Value::String(s) => (canonical_initializer_class(s), Map::new()),
        Value::Object(o) => {
            let Some(class) = o.get("class_name").and_then(Value::as_str) else {
                return v.clone();
            };
            let config = o
                .get("config")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (canonical_initializer_class(class), config)
        }
        _ => return v.clone(),
    };
    // Numbers as JavaScript writes them (`1`, not `1.0`).
    let get = |k: &str, d: Value| match config.get(k) {
        Some(Value::Number(n)) => n.as_f64().map_or(Value::Null, num),
        Some(v) => v.clone(),
        None => d,
    };
    let seed = get("seed", Value::Null);
    match class.as_str() {
        "GlorotUniform" => vs(1.0, "fan_avg", "uniform", seed),
        "GlorotNormal" => vs(1.0, "fan_avg", "normal", seed),
        "HeNormal" => vs(2.0, "fan_in", "normal", seed),
        "HeUniform" => vs(2.0, "fan_in", "uniform", seed),
        "LecunNormal" => vs(1.0, "fan_in", "normal", seed),
        "LecunUniform" => vs(1.0, "fan_in", "uniform", seed),
        "VarianceScaling" => {
            let dist = match config.get("distribution").and_then(Value::as_str) {
                Some("untruncated_normal") | None => "normal".to_string(),
                Some(d) => d.to_string(),
            };
            json!({"class_name": "VarianceScaling", "config": {
                "scale": get("scale", json!(1)),
                "mode": get("mode", json!("fan_in")),
                "distribution": dist,
                "seed": seed}})
        }
        "Zeros" | "Ones" => json!({"class_name": class, "config": {}}),
        "Constant" => {
            json!({"class_name": "Constant", "config": {"value": get("value", json!(0))}})
        }
        "RandomUniform" => json!({"class_name": "RandomUniform", "config": {
            "minval": get("minval", num(-0.05)), "maxval": get("maxval", num(0.05)), "seed": seed}}),
        "RandomNormal" | "TruncatedNormal" => json!({"class_name": class, "config": {
            "mean": get("mean", json!(0)), "stddev": get("stddev", num(0.05)), "seed": seed}}),
        "Identity" => json!({"class_name": "Identity", "config": {"gain": get("gain", json!(1))}}),
        "Orthogonal" => {
            json!({"class_name": "Orthogonal", "config": {"gain": get("gain", json!(1)), "seed": seed}})
        }
        _ => json!({"class_name": class, "config": config}),
    }
}

/// The class of an initializer named in any case / spelling TF.js and
/// Keras use (`glorot_uniform`, `GlorotUniform`, `LeCunNormal`, `zero`…);
/// unknown names are kept as written.
fn canonical_initializer_class(s: &str) -> String {
    let key: String = s
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "glorotuniform" => "GlorotUniform",
        "glorotnormal" => "GlorotNormal",
        "henormal" => "HeNormal",
        "heuniform" => "HeUniform",
        "lecunnormal" => "LecunNormal",
        "lecununiform" => "LecunUniform",
        "zeros" | "zero" => "Zeros",
        "ones" | "one" => "Ones",
        "constant" => "Constant",
        "randomuniform" | "uniform" => "RandomUniform",
        "randomnormal" | "normal" => "RandomNormal",
        "truncatednormal" => "TruncatedNormal",
        "orthogonal" => "Orthogonal",
        "identity" => "Identity",
        "variancescaling" => "VarianceScaling",
        _ => s,
    }
    .to_string()
}

/// A regularizer field as TF.js writes it (`null`, or `L1L2`).
pub(crate) fn regularizer(cfg: &ConfigReader<'_>, key: &str) -> Value {
    cfg.get(key).map_or(Value::Null, regularizer_value)
}

/// A regularizer value in TF.js's spelling (see [`regularizer`]).
pub(crate) fn regularizer_value(v: &Value) -> Value {
    let Some(o) = v.as_object() else {
        return v.clone();
    };
    let class = o.get("class_name").and_then(Value::as_str).unwrap_or("");
    let c = o.get("config").and_then(Value::as_object);
    let get = |k: &str| c.and_then(|c| c.get(k)).cloned();
    match class {
        "L1L2" => json!({"class_name": "L1L2", "config": {
            "l1": get("l1").unwrap_or(json!(0)), "l2": get("l2").unwrap_or(json!(0))}}),
        "L1" => {
            json!({"class_name": "L1L2", "config": {"l1": get("l1").unwrap_or(num(0.01)), "l2": 0}})
        }
        "L2" => {
            json!({"class_name": "L1L2", "config": {"l1": 0, "l2": get("l2").unwrap_or(num(0.01))}})
        }
        _ => strip_keras_keys(o),
    }
}

/// A constraint field (`null`, or `{class_name, config}` without Keras keys).
pub(crate) fn constraint(cfg: &ConfigReader<'_>, key: &str) -> Value {
    cfg.get(key).map_or(Value::Null, constraint_value)
}

/// A constraint value without Keras-only keys.
pub(crate) fn constraint_value(v: &Value) -> Value {
    match v {
        Value::Object(o) => strip_keras_keys(o),
        v => v.clone(),
    }
}

fn strip_keras_keys(o: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    for k in ["class_name", "config"] {
        if let Some(v) = o.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    Value::Object(m)
}

/// The initializer/regularizer/constraint keys of a layer, kept as written
/// by TF.js.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras(pub Map<String, Value>);

impl Extras {
    /// Record an initializer field (TF.js spelling).
    pub fn init(&mut self, cfg: &ConfigReader<'_>, key: &str, default: fn() -> Value) {
        self.0.insert(key.into(), initializer(cfg, key, default));
    }
    /// Record a regularizer field (TF.js spelling).
    pub fn reg(&mut self, cfg: &ConfigReader<'_>, key: &str) {
        self.0.insert(key.into(), regularizer(cfg, key));
    }
    /// Record a constraint field.
    pub fn cons(&mut self, cfg: &ConfigReader<'_>, key: &str) {
        self.0.insert(key.into(), constraint(cfg, key));
    }
    /// Record weight `weight`'s fields (`kernel`, `depthwise`, …):
    /// `<weight>_initializer` (absent: `default`), `<weight>_regularizer`
    /// and `<weight>_constraint`.
    pub fn weight(&mut self, cfg: &ConfigReader<'_>, weight: &str, default: fn() -> Value) {
        self.init(cfg, &format!("{weight}_initializer"), default);
        self.reg(cfg, &format!("{weight}_regularizer"));
        self.cons(cfg, &format!("{weight}_constraint"));
    }
    /// Copy `key` into `m` (`null` if unknown).
    pub fn put(&self, m: &mut Map<String, Value>, key: &str) {
        m.insert(key.into(), self.0.get(key).cloned().unwrap_or(Value::Null));
    }
}

/// A nested Keras object without Keras' `module` / `registered_name` keys
/// (TensorFlow.js neither reads nor writes them); `null` when absent.
pub(crate) fn passthrough(c: &ConfigReader<'_>, key: &str) -> Value {
    c.get(key).map(strip_meta).unwrap_or(Value::Null)
}

fn strip_meta(v: &Value) -> Value {
    match v {
        Value::Object(o) if o.contains_key("class_name") => Value::Object(
            o.iter()
                .filter(|(k, _)| k.as_str() != "module" && k.as_str() != "registered_name")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}
