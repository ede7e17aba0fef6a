//! Core layers: `InputLayer`, `Dense`, `Activation`, `Dropout` (and the
//! spatial dropouts), `Flatten`, `Reshape`, `Permute`, `RepeatVector`,
//! `Masking` and Keras' `Identity`.
//!
//! This module also holds the helpers the other layer families of this crate
//! share: the base config keys (`Base`), weight storage (`Params`),
//! TensorFlow.js-style initializer/regularizer/constraint spelling, and small
//! tensor utilities (transpose, axis normalization, matmul).

use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::registry::BuildContext;
use crate::{Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor, TensorData};
use rayon::prelude::*;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The base keys every layer config carries (`name`, `trainable`, and the
/// input-shape keys of a model's first layer).
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub name: String,
    pub trainable: bool,
    /// `batch_input_shape` (or Keras 3 `batch_shape`, or TF.js
    /// `input_shape` + `batch_size`), when the layer was given one.
    pub batch_input_shape: Option<Shape>,
    pub dtype: Option<String>,
}

impl Base {
    /// Read the base keys of `cfg`.
    pub fn parse(cfg: &ConfigReader<'_>) -> Result<Base> {
        let mut batch_input_shape = cfg.shape_opt("batch_input_shape")?;
        if batch_input_shape.is_none() {
            batch_input_shape = cfg.shape_opt("batch_shape")?;
        }
        if batch_input_shape.is_none() {
            if let Some(s) = cfg.shape_opt("input_shape")? {
                let batch = match cfg.get("batch_size") {
                    Some(_) => Some(cfg.usize_req("batch_size")?),
                    None => None,
                };
                let mut full = vec![batch];
                full.extend(s);
                batch_input_shape = Some(full);
            }
        }
        Ok(Base {
            name: cfg.name().to_string(),
            trainable: cfg.bool_or("trainable", true)?,
            batch_input_shape,
            dtype: cfg.dtype().map(str::to_string),
        })
    }

    /// Write `name`, `trainable` and (when set) `batch_input_shape`, `dtype`.
    pub fn write(&self, m: &mut Map<String, Value>) {
        m.insert("name".into(), json!(self.name));
        m.insert("trainable".into(), json!(self.trainable));
        self.write_input_shape(m);
    }

    /// Write `batch_input_shape` and `dtype` when the layer has an input shape.
    pub fn write_input_shape(&self, m: &mut Map<String, Value>) {
        if let Some(s) = &self.batch_input_shape {
            m.insert("batch_input_shape".into(), shape_value(s));
            m.insert(
                "dtype".into(),
                json!(self.dtype.as_deref().unwrap_or("float32")),
            );
        }
    }

    /// An error about this layer.
    pub fn err(&self, message: impl Into<String>) -> LayersError {
        LayersError::config(&self.name, message)
    }
}

/// A symbolic shape as JSON (`null` for unknown dims).
pub(crate) fn shape_value(s: &Shape) -> Value {
    Value::Array(
        s.iter()
            .map(|d| d.map_or(Value::Null, |d| json!(d)))
            .collect(),
    )
}

/// A layer's weights: descriptions plus values, in TF.js order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    specs: Vec<LayerWeight>,
    values: Vec<Tensor>,
}

impl Params {
    /// Add a weight filled with `fill`.
    ///
    /// Shapes come from untrusted configs: sizes over
    /// `MAX_WEIGHT_ELEMENTS` are refused before anything is allocated.
    pub fn add(&mut self, name: &str, shape: Vec<usize>, trainable: bool, fill: f32) -> Result<()> {
        use crate::layers::recurrent::MAX_WEIGHT_ELEMENTS;
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= MAX_WEIGHT_ELEMENTS)
            .ok_or_else(|| crate::LayersError::Weights {
                // The engine prefixes the layer name (model::in_layer).
                message: format!(
                    "weight `{name}` of shape {shape:?} is too large (over {MAX_WEIGHT_ELEMENTS} elements): the config is corrupt"
                ),
            })?;
        self.values
            .push(Tensor::from_f32(shape.clone(), vec![fill; n])?);
        self.specs.push(LayerWeight {
            name: name.to_string(),
            shape,
            trainable,
        });
        Ok(())
    }
    /// Has `build` created the weights?
    pub fn is_built(&self) -> bool {
        !self.specs.is_empty()
    }
    /// Forget all weights (before a rebuild).
    pub fn clear(&mut self) {
        self.specs.clear();
        self.values.clear();
    }
    /// Descriptions; a frozen layer's weights are all non-trainable.
    pub fn weights(&self, layer_trainable: bool) -> Vec<LayerWeight> {
        self.specs
            .iter()
            .map(|w| LayerWeight {
                trainable: w.trainable && layer_trainable,
                ..w.clone()
            })
            .collect()
    }
    /// Values, same order as the descriptions.
    pub fn values(&self) -> Vec<&Tensor> {
        self.values.iter().collect()
    }
    /// Replace weight `index`, checking its shape.
    pub fn set(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        let spec = self.specs.get(index).ok_or_else(|| {
            LayersError::config(
                layer,
                format!(
                    "layer has no weight #{index} (it has {} weights; was it built?)",
                    self.specs.len()
                ),
            )
        })?;
        if value.shape() != spec.shape.as_slice() {
            return Err(LayersError::config(
                layer,
                format!(
                    "weight `{}` must have shape {:?}, got {:?}",
                    spec.name,
                    spec.shape,
                    value.shape()
                ),
            ));
        }
        let value = match value.data() {
            TensorData::F32(_) => value,
            TensorData::I32(_) => {
                let data = value.to_f32().into_owned();
                Tensor::from_f32(value.shape().to_vec(), data)?
            }
        };
        self.values[index] = value;
        Ok(())
    }
    /// The f32 values of weight `index` (the layer must be built).
    pub fn get(&self, index: usize) -> &[f32] {
        self.values[index].as_f32().unwrap_or(&[])
    }
}

/// Error unless `params` are built.
pub(crate) fn require_built(base: &Base, params: &Params) -> Result<()> {
    if params.is_built() {
        Ok(())
    } else {
        Err(base.err("layer was called before it was built (no weights)"))
    }
}

/// The fully-defined feature dimension at `axis` of a build shape.
pub(crate) fn known_dim(base: &Base, shape: &Shape, axis: usize, what: &str) -> Result<usize> {
    shape.get(axis).copied().flatten().ok_or_else(|| {
        base.err(format!(
            "the {what} dimension of the input (axis {axis} of {}) must be known to build the layer",
            shape_str(shape)
        ))
    })
}

/// `[null, 3]` style text for a symbolic shape.
pub(crate) fn shape_str(s: &Shape) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|d| d.map_or("null".to_string(), |d| d.to_string()))
        .collect();
    format!("[{}]", parts.join(","))
}

/// The one input shape of a single-input layer.
pub(crate) fn one_shape<'a>(base: &Base, shapes: &'a [Shape]) -> Result<&'a Shape> {
    match shapes {
        [s] => Ok(s),
        _ => Err(base.err(format!("expects exactly 1 input, got {}", shapes.len()))),
    }
}

/// The one input of a single-input layer.
pub(crate) fn one_input<'a>(base: &Base, inputs: &'a [Tensor]) -> Result<&'a Tensor> {
    match inputs {
        [t] => Ok(t),
        _ => Err(base.err(format!("expects exactly 1 input, got {}", inputs.len()))),
    }
}

/// Error unless `rank(shape) == want`.
pub(crate) fn check_rank(base: &Base, got: usize, want: usize, what: &str) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(base.err(format!(
            "expects a rank-{want} input ({what}), got rank {got}"
        )))
    }
}

/// A result tensor (the length is computed by the caller, so a mismatch is
/// reported against the layer).
pub(crate) fn make_tensor(base: &Base, shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor> {
    Tensor::from_f32(shape, data).map_err(|e| base.err(format!("internal shape error: {e}")))
}

/// Normalize a possibly negative axis against `rank`.
pub(crate) fn norm_axis(base: &Base, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        Err(base.err(format!(
            "axis {axis} is out of range for a rank-{rank} input"
        )))
    } else {
        Ok(a as usize)
    }
}

/// Row-major transpose: `out.shape[i] = shape[perm[i]]`.
pub(crate) fn transpose<T: Copy + Send + Sync>(
    data: &[T],
    shape: &[usize],
    perm: &[usize],
) -> Vec<T> {
    let rank = shape.len();
    if perm.iter().enumerate().all(|(i, &p)| i == p) || data.is_empty() {
        return data.to_vec();
    }
    let mut in_strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        in_strides[i] = in_strides[i + 1] * shape[i + 1];
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let inner = *out_shape.last().unwrap_or(&1);
    let inner_stride = *strides.last().unwrap_or(&1);
    let mut out = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; rank.saturating_sub(1)];
    let outer: usize = out_shape[..rank - 1].iter().product();
    for _ in 0..outer {
        let mut base = 0;
        for (i, &x) in idx.iter().enumerate() {
            base += x * strides[i];
        }
        for j in 0..inner {
            out.push(data[base + j * inner_stride]);
        }
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Transpose a tensor of either dtype.
pub(crate) fn transpose_tensor(t: &Tensor, perm: &[usize]) -> Tensor {
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    let data = match t.data() {
        TensorData::F32(v) => TensorData::F32(transpose(v, t.shape(), perm)),
        TensorData::I32(v) => TensorData::I32(transpose(v, t.shape(), perm)),
    };
    match data {
        TensorData::F32(v) => Tensor::from_f32(shape, v),
        TensorData::I32(v) => Tensor::from_i32(shape, v),
    }
    .expect("transpose keeps the element count")
}

/// Permutation moving axis 1 (channels-first) to the end.
pub(crate) fn perm_to_channels_last(rank: usize) -> Vec<usize> {
    let mut p = vec![0];
    p.extend(2..rank);
    p.push(1);
    p
}

/// Permutation moving the last axis to position 1.
pub(crate) fn perm_to_channels_first(rank: usize) -> Vec<usize> {
    let mut p = vec![0, rank - 1];
    p.extend(1..rank - 1);
    p
}

/// Apply a permutation to a symbolic shape.
pub(crate) fn permute_shape(s: &Shape, perm: &[usize]) -> Shape {
    perm.iter().map(|&p| s[p]).collect()
}

/// `out[m, n] = a[m, k] · b[k, n]` (+ `bias[n]`), row-major.
pub(crate) fn matmul(
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    m: usize,
    k: usize,
    n: usize,
) -> Vec<f32> {
    let mut out = vec![0.0f32; m * n];
    if m == 0 || n == 0 {
        return out;
    }
    tfjs_kernels::dense(a, b, bias, m, k, n, &mut out);
    out
}

/// `f` of every element into a new vector, in parallel for large slices
/// (one pass: no copy-then-modify).
pub(crate) fn map_new<F: Fn(f32) -> f32 + Sync + Send>(x: &[f32], f: F) -> Vec<f32> {
    if x.len() >= 1 << 16 {
        let mut out = Vec::with_capacity(x.len());
        x.par_iter().map(|&v| f(v)).collect_into_vec(&mut out);
        out
    } else {
        x.iter().map(|&v| f(v)).collect()
    }
}

/// `f(a, b)` of two equally long slices into a new vector.
pub(crate) fn zip_new<F: Fn(f32, f32) -> f32 + Sync + Send>(
    a: &[f32],
    b: &[f32],
    f: F,
) -> Vec<f32> {
    if a.len() >= 1 << 16 {
        let mut out = Vec::with_capacity(a.len());
        a.par_iter()
            .zip(b.par_iter())
            .map(|(&x, &y)| f(x, y))
            .collect_into_vec(&mut out);
        out
    } else {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    }
}

/// Apply an activation in place (parallel for large slices).
pub(crate) fn apply_activation(act: Activation, x: &mut [f32], last_dim: usize) {
    match act {
        Activation::Linear => {}
        Activation::Softmax | Activation::LogSoftmax => act.apply(x, last_dim),
        _ if x.len() >= 1 << 16 => x
            .par_chunks_mut(1 << 14)
            .for_each(|c| act.apply(c, last_dim)),
        _ => act.apply(x, last_dim),
    }
}

/// Keras masks pass through unchanged (layers with `supports_masking`).
pub(crate) fn pass_mask(masks: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
    vec![masks.first().cloned().flatten()]
}

/// Parse an `activation` field (absent → `linear`).
pub(crate) fn activation_field(cfg: &ConfigReader<'_>, key: &str) -> Result<Activation> {
    match cfg.get(key) {
        None => Ok(Activation::Linear),
        Some(Value::String(s)) => Activation::parse(s).map_err(|e| cfg.err(key, e.to_string())),
        // Keras 3 may serialize an activation as {"class_name": …, "config": {"name": …}}.
        Some(Value::Object(o)) => {
            let name = o
                .get("config")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .or_else(|| o.get("class_name").and_then(Value::as_str))
                .ok_or_else(|| cfg.err(key, "expected an activation name"))?;
            Activation::parse(name).map_err(|e| cfg.err(key, e.to_string()))
        }
        Some(v) => Err(cfg.err(key, format!("expected an activation name, got {v}"))),
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
pub(crate) fn initializer(cfg: &ConfigReader<'_>, key: &str, default: fn() -> Value) -> Value {
    let Some(v) = cfg.get(key) else {
        return default();
    };
    let (class, config) = match v {
        Value::String(s) => (keras_initializer_class(s), Map::new()),
        Value::Object(o) => {
            let Some(class) = o.get("class_name").and_then(Value::as_str) else {
                return v.clone();
            };
            let config = o
                .get("config")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (class.to_string(), config)
        }
        _ => return v.clone(),
    };
    let get = |k: &str, d: Value| config.get(k).cloned().unwrap_or(d);
    let seed = get("seed", Value::Null);
    match class.as_str() {
        "GlorotUniform" => vs(1.0, "fan_avg", "uniform", seed),
        "GlorotNormal" => vs(1.0, "fan_avg", "normal", seed),
        "HeNormal" => vs(2.0, "fan_in", "normal", seed),
        "HeUniform" => vs(2.0, "fan_in", "uniform", seed),
        "LeCunNormal" | "LecunNormal" => vs(1.0, "fan_in", "normal", seed),
        "LeCunUniform" | "LecunUniform" => vs(1.0, "fan_in", "uniform", seed),
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

fn keras_initializer_class(s: &str) -> String {
    match s {
        "glorot_uniform" => "GlorotUniform",
        "glorot_normal" => "GlorotNormal",
        "he_normal" => "HeNormal",
        "he_uniform" => "HeUniform",
        "lecun_normal" => "LecunNormal",
        "lecun_uniform" => "LecunUniform",
        "zeros" | "zero" => "Zeros",
        "ones" | "one" => "Ones",
        "random_uniform" | "uniform" => "RandomUniform",
        "random_normal" | "normal" => "RandomNormal",
        "truncated_normal" => "TruncatedNormal",
        "orthogonal" => "Orthogonal",
        "identity" => "Identity",
        other => other,
    }
    .to_string()
}

/// A regularizer field as TF.js writes it (`null`, or `L1L2`).
pub(crate) fn regularizer(cfg: &ConfigReader<'_>, key: &str) -> Value {
    let Some(v) = cfg.get(key) else {
        return Value::Null;
    };
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
    match cfg.get(key) {
        None => Value::Null,
        Some(Value::Object(o)) => strip_keras_keys(o),
        Some(v) => v.clone(),
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
    /// Copy `key` into `m` (`null` if unknown).
    pub fn put(&self, m: &mut Map<String, Value>, key: &str) {
        m.insert(key.into(), self.0.get(key).cloned().unwrap_or(Value::Null));
    }
}

/// An int or list of ints (possibly negative), e.g. `axis`.
pub(crate) fn axis_list(cfg: &ConfigReader<'_>, key: &str, default: i64) -> Result<Vec<i64>> {
    let to_i = |v: &Value| -> Option<i64> {
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
    };
    match cfg.get(key) {
        None => Ok(vec![default]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| to_i(v).ok_or_else(|| cfg.err(key, format!("expected integers, got {v}"))))
            .collect(),
        Some(v) => to_i(v)
            .map(|x| vec![x])
            .ok_or_else(|| cfg.err(key, format!("expected an integer or a list, got {v}"))),
    }
}

// ---------------------------------------------------------------------------
// InputLayer
// ---------------------------------------------------------------------------

/// `InputLayer`: the model's entry point (identity).
#[derive(Debug, Clone)]
pub struct InputLayer {
    name: String,
    batch_input_shape: Shape,
    dtype: String,
    sparse: bool,
}

impl InputLayer {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let base = Base::parse(cfg)?;
        let batch_input_shape = base.batch_input_shape.clone().ok_or_else(|| {
            cfg.err(
                "batch_input_shape",
                "an InputLayer needs batch_input_shape (or batch_shape / input_shape)",
            )
        })?;
        let dtype = base.dtype.clone().unwrap_or_else(|| "float32".into());
        match dtype.as_str() {
            "float32" | "int32" | "bool" | "string" | "float16" | "float64" | "int64" | "uint8"
            | "int8" | "int16" | "uint16" | "complex64" => {}
            other => return Err(cfg.err("dtype", format!("unknown dtype {other:?}"))),
        }
        Ok(InputLayer {
            name: base.name,
            batch_input_shape,
            dtype,
            sparse: cfg.bool_or("sparse", false)?,
        })
    }
    /// The declared input shape (batch dim first).
    pub fn batch_input_shape(&self) -> &Shape {
        &self.batch_input_shape
    }
    /// The declared dtype.
    pub fn dtype(&self) -> &str {
        &self.dtype
    }
}

impl Layer for InputLayer {
    fn class_name(&self) -> &str {
        "InputLayer"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "batch_input_shape".into(),
            shape_value(&self.batch_input_shape),
        );
        m.insert("dtype".into(), json!(self.dtype));
        m.insert("sparse".into(), json!(self.sparse));
        m.insert("name".into(), json!(self.name));
        m
    }
    fn output_shapes(&self, _inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![self.batch_input_shape.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        match inputs {
            [t] => Ok(vec![t.clone()]),
            _ => Err(LayersError::config(
                &self.name,
                format!("expects exactly 1 input, got {}", inputs.len()),
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------

/// `Dense`: `activation(x · kernel + bias)` on the last axis of any-rank input.
#[derive(Debug, Clone)]
pub struct Dense {
    base: Base,
    units: usize,
    activation: Activation,
    use_bias: bool,
    extras: Extras,
    params: Params,
}

impl Dense {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let mut base = Base::parse(cfg)?;
        if base.batch_input_shape.is_none() && cfg.get("input_dim").is_some() {
            let batch = match cfg.get("batch_size") {
                Some(_) => Some(cfg.usize_req("batch_size")?),
                None => None,
            };
            base.batch_input_shape = Some(vec![batch, Some(cfg.usize_req("input_dim")?)]);
        }
        let units = cfg.usize_req("units")?;
        if units == 0 {
            return Err(cfg.err("units", "must be a positive integer"));
        }
        let mut extras = Extras::default();
        extras.init(cfg, "kernel_initializer", glorot_normal_default);
        extras.init(cfg, "bias_initializer", zeros_init);
        for k in [
            "kernel_regularizer",
            "bias_regularizer",
            "activity_regularizer",
        ] {
            extras.reg(cfg, k);
        }
        for k in ["kernel_constraint", "bias_constraint"] {
            extras.cons(cfg, k);
        }
        let mut d = Dense {
            base,
            units,
            activation: activation_field(cfg, "activation")?,
            use_bias: cfg.bool_or("use_bias", true)?,
            extras,
            params: Params::default(),
        };
        if let Some(s) = d.base.batch_input_shape.clone() {
            if s.last().copied().flatten().is_some() {
                d.build(&[s])?;
            }
        }
        Ok(d)
    }
}

impl Layer for Dense {
    fn class_name(&self) -> &str {
        "Dense"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("units".into(), json!(self.units));
        m.insert("activation".into(), json!(self.activation.name()));
        m.insert("use_bias".into(), json!(self.use_bias));
        for k in [
            "kernel_initializer",
            "bias_initializer",
            "kernel_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "kernel_constraint",
            "bias_constraint",
        ] {
            self.extras.put(&mut m, k);
        }
        self.base.write(&mut m);
        m
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = one_shape(&self.base, input_shapes)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let input_dim = known_dim(&self.base, s, s.len() - 1, "last")?;
        self.params.clear();
        self.params
            .add("kernel", vec![input_dim, self.units], true, 0.0)?;
        if self.use_bias {
            self.params.add("bias", vec![self.units], true, 0.0)?;
        }
        Ok(())
    }
    fn weights(&self) -> Vec<LayerWeight> {
        self.params.weights(self.base.trainable)
    }
    fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values()
    }
    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.params.set(&self.base.name, index, value)
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let mut out = s.clone();
        *out.last_mut().expect("rank >= 1") = Some(self.units);
        Ok(vec![out])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        require_built(&self.base, &self.params)?;
        let kernel_shape = &self.params.weights(true)[0].shape;
        let k = kernel_shape[0];
        if x.rank() == 0 || x.shape()[x.rank() - 1] != k {
            return Err(self.base.err(format!(
                "expects the input's last dimension to be {k}, got input shape {:?}",
                x.shape()
            )));
        }
        let m = x.len() / k.max(1);
        let data = x.to_f32();
        let bias = self.use_bias.then(|| self.params.get(1));
        let mut out = matmul(&data, self.params.get(0), bias, m, k, self.units);
        apply_activation(self.activation, &mut out, self.units);
        let mut shape = x.shape().to_vec();
        *shape.last_mut().expect("rank >= 1") = self.units;
        Ok(vec![make_tensor(&self.base, shape, out)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(pass_mask(masks))
    }
}

// ---------------------------------------------------------------------------
// Activation
// ---------------------------------------------------------------------------

/// `Activation`: apply a named activation.
#[derive(Debug, Clone)]
pub struct ActivationLayer {
    base: Base,
    activation: Activation,
}

impl ActivationLayer {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        cfg.required("activation")?;
        Ok(ActivationLayer {
            base: Base::parse(cfg)?,
            activation: activation_field(cfg, "activation")?,
        })
    }
}

impl Layer for ActivationLayer {
    fn class_name(&self) -> &str {
        "Activation"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("activation".into(), json!(self.activation.name()));
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![one_shape(&self.base, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let mut data = x.to_f32().into_owned();
        let last = x.shape().last().copied().unwrap_or(1);
        apply_activation(self.activation, &mut data, last);
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), data)?])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(pass_mask(masks))
    }
}

// ---------------------------------------------------------------------------
// Identity-at-inference layers (dropouts, Identity)
// ---------------------------------------------------------------------------

/// Which identity-at-inference class a [`PassThrough`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PassKind {
    Dropout,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    Identity,
    GaussianNoise,
    GaussianDropout,
    AlphaDropout,
    ActivityRegularization,
}

/// A layer that is the identity at inference: the dropouts, the noise
/// layers, Keras' `Identity` and `ActivityRegularization`.
#[derive(Debug, Clone)]
pub struct PassThrough {
    base: Base,
    kind: PassKind,
    /// Class-specific config keys, in the order they are written.
    fields: Map<String, Value>,
}

impl PassThrough {
    pub(crate) fn from_config(cfg: &ConfigReader<'_>, kind: PassKind) -> Result<Self> {
        let base = Base::parse(cfg)?;
        let mut fields = Map::new();
        let rate = |fields: &mut Map<String, Value>| -> Result<()> {
            let r = cfg
                .f64_opt("rate")?
                .ok_or_else(|| cfg.err("rate", "is required"))?;
            if !(0.0..=1.0).contains(&r) {
                return Err(cfg.err("rate", format!("must be in [0, 1], got {r}")));
            }
            fields.insert("rate".into(), cfg.required("rate")?.clone());
            Ok(())
        };
        match kind {
            PassKind::Dropout | PassKind::SpatialDropout1D => {
                rate(&mut fields)?;
                fields.insert(
                    "noise_shape".into(),
                    cfg.get("noise_shape").cloned().unwrap_or(Value::Null),
                );
                fields.insert(
                    "seed".into(),
                    cfg.get("seed").cloned().unwrap_or(Value::Null),
                );
            }
            PassKind::SpatialDropout2D | PassKind::SpatialDropout3D => {
                rate(&mut fields)?;
                let cf = channels_first(cfg)?;
                fields.insert("data_format".into(), data_format_value(cf));
                fields.insert(
                    "seed".into(),
                    cfg.get("seed").cloned().unwrap_or(Value::Null),
                );
            }
            PassKind::GaussianDropout | PassKind::AlphaDropout => rate(&mut fields)?,
            PassKind::GaussianNoise => {
                let v = cfg.required("stddev")?;
                cfg.f64_opt("stddev")?;
                fields.insert("stddev".into(), v.clone());
            }
            PassKind::ActivityRegularization => {
                fields.insert("l1".into(), num(cfg.f64_or("l1", 0.0)?));
                fields.insert("l2".into(), num(cfg.f64_or("l2", 0.0)?));
            }
            PassKind::Identity => {}
        }
        Ok(PassThrough { base, kind, fields })
    }
}

impl Layer for PassThrough {
    fn class_name(&self) -> &str {
        match self.kind {
            PassKind::Dropout => "Dropout",
            PassKind::SpatialDropout1D => "SpatialDropout1D",
            PassKind::SpatialDropout2D => "SpatialDropout2D",
            PassKind::SpatialDropout3D => "SpatialDropout3D",
            PassKind::Identity => "Identity",
            PassKind::GaussianNoise => "GaussianNoise",
            PassKind::GaussianDropout => "GaussianDropout",
            PassKind::AlphaDropout => "AlphaDropout",
            PassKind::ActivityRegularization => "ActivityRegularization",
        }
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.fields.clone();
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![one_shape(&self.base, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        Ok(vec![one_input(&self.base, inputs)?.clone()])
    }
    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(pass_mask(masks))
    }
}

// ---------------------------------------------------------------------------
// Flatten
// ---------------------------------------------------------------------------

/// `Flatten`: `[batch, ...] → [batch, prod(...)]`.
#[derive(Debug, Clone)]
pub struct Flatten {
    base: Base,
    /// `Some` when the config gave `data_format` (only then is it written).
    data_format: Option<bool>,
}

impl Flatten {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let data_format = match cfg.get("data_format") {
            Some(_) => Some(channels_first(cfg)?),
            None => None,
        };
        Ok(Flatten {
            base: Base::parse(cfg)?,
            data_format,
        })
    }
}

impl Layer for Flatten {
    fn class_name(&self) -> &str {
        "Flatten"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(cf) = self.data_format {
            m.insert("data_format".into(), data_format_value(cf));
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let rest = s[1..].iter().try_fold(1usize, |acc, d| d.map(|d| acc * d));
        Ok(vec![vec![s[0], rest]])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        if x.rank() == 0 {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let b = x.shape()[0];
        let rest: usize = x.shape()[1..].iter().product();
        let t = if self.data_format == Some(true) && x.rank() >= 3 {
            transpose_tensor(x, &perm_to_channels_last(x.rank()))
        } else {
            x.clone()
        };
        Ok(vec![t.reshape(vec![b, rest])?])
    }
}

// ---------------------------------------------------------------------------
// Reshape
// ---------------------------------------------------------------------------

/// `Reshape`: reshape the non-batch dims to `target_shape` (one `-1` allowed).
#[derive(Debug, Clone)]
pub struct Reshape {
    base: Base,
    /// `None` = `-1`/`null` (inferred). Written back as `null`, as TF.js does.
    target: Vec<Option<usize>>,
    raw: Value,
}

impl Reshape {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let raw = cfg.required("target_shape")?.clone();
        let arr = raw
            .as_array()
            .ok_or_else(|| cfg.err("target_shape", "expected a list of integers"))?;
        let mut target = Vec::with_capacity(arr.len());
        for v in arr {
            let x = v
                .as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
            match x {
                // TF.js stores an unknown dim as null (and writes null); Keras writes -1.
                None if v.is_null() => target.push(None),
                Some(-1) => target.push(None),
                Some(x) if x >= 0 => target.push(Some(x as usize)),
                _ => {
                    return Err(cfg.err(
                        "target_shape",
                        format!("dimensions must be non-negative integers, -1 or null, got {v}"),
                    ))
                }
            }
        }
        if target.iter().filter(|d| d.is_none()).count() > 1 {
            return Err(cfg.err(
                "target_shape",
                "can only specify one unknown dimension (-1)",
            ));
        }
        let raw = Value::Array(
            target
                .iter()
                .map(|d| d.map_or(Value::Null, |d| json!(d)))
                .collect(),
        );
        Ok(Reshape {
            base: Base::parse(cfg)?,
            target,
            raw,
        })
    }

    fn resolve(&self, total: usize) -> Result<Vec<usize>> {
        let known: usize = self.target.iter().flatten().product();
        let mut out = Vec::with_capacity(self.target.len());
        let unknown = self.target.iter().any(|d| d.is_none());
        if (unknown && (known == 0 || !total.is_multiple_of(known))) || (!unknown && known != total)
        {
            return Err(self.base.err(format!(
                "total size of new array must be unchanged: input has {total} values per sample, target_shape is {}",
                self.raw
            )));
        }
        for d in &self.target {
            out.push(d.unwrap_or(total.checked_div(known).unwrap_or(0)));
        }
        Ok(out)
    }
}

impl Layer for Reshape {
    fn class_name(&self) -> &str {
        "Reshape"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("target_shape".into(), self.raw.clone());
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        if s.is_empty() {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let total = s[1..].iter().try_fold(1usize, |a, d| d.map(|d| a * d));
        let mut out = vec![s[0]];
        match total {
            Some(t) => out.extend(self.resolve(t)?.into_iter().map(Some)),
            None => out.extend(self.target.iter().copied()),
        }
        Ok(vec![out])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        if x.rank() == 0 {
            return Err(self.base.err("expects an input of rank >= 1"));
        }
        let b = x.shape()[0];
        let total: usize = x.shape()[1..].iter().product();
        let mut shape = vec![b];
        shape.extend(self.resolve(total)?);
        Ok(vec![x.clone().reshape(shape)?])
    }
}

// ---------------------------------------------------------------------------
// Permute
// ---------------------------------------------------------------------------

/// `Permute`: permute the non-batch dims (`dims` are 1-based).
#[derive(Debug, Clone)]
pub struct Permute {
    base: Base,
    dims: Vec<usize>,
}

impl Permute {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let v = cfg.required("dims")?;
        let arr = v
            .as_array()
            .ok_or_else(|| cfg.err("dims", "expected a list of integers"))?;
        let dims: Option<Vec<usize>> = arr
            .iter()
            .map(|d| {
                d.as_u64()
                    .or_else(|| {
                        d.as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                            .map(|f| f as u64)
                    })
                    .map(|d| d as usize)
            })
            .collect();
        let dims =
            dims.ok_or_else(|| cfg.err("dims", format!("expected positive integers, got {v}")))?;
        let mut sorted = dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=dims.len()).collect::<Vec<_>>() {
            return Err(cfg.err(
                "dims",
                format!("must be a permutation of 1..={}, got {v}", dims.len()),
            ));
        }
        Ok(Permute {
            base: Base::parse(cfg)?,
            dims,
        })
    }
    fn perm(&self) -> Vec<usize> {
        let mut p = vec![0];
        p.extend(self.dims.iter().copied());
        p
    }
}

impl Layer for Permute {
    fn class_name(&self) -> &str {
        "Permute"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("dims".into(), ints(&self.dims));
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        check_rank(&self.base, s.len(), self.dims.len() + 1, "batch + dims")?;
        Ok(vec![permute_shape(s, &self.perm())])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        check_rank(&self.base, x.rank(), self.dims.len() + 1, "batch + dims")?;
        Ok(vec![transpose_tensor(x, &self.perm())])
    }
}

// ---------------------------------------------------------------------------
// RepeatVector
// ---------------------------------------------------------------------------

/// `RepeatVector`: `[batch, f] → [batch, n, f]`.
#[derive(Debug, Clone)]
pub struct RepeatVector {
    base: Base,
    n: usize,
}

impl RepeatVector {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        Ok(RepeatVector {
            base: Base::parse(cfg)?,
            n: cfg.usize_req("n")?,
        })
    }
}

impl Layer for RepeatVector {
    fn class_name(&self) -> &str {
        "RepeatVector"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("n".into(), json!(self.n));
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = one_shape(&self.base, inputs)?;
        check_rank(&self.base, s.len(), 2, "[batch, features]")?;
        Ok(vec![vec![s[0], Some(self.n), s[1]]])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        check_rank(&self.base, x.rank(), 2, "[batch, features]")?;
        let (b, f) = (x.shape()[0], x.shape()[1]);
        let data = x.to_f32();
        let mut out = Vec::with_capacity(b * self.n * f);
        for row in data.chunks(f.max(1)).take(b) {
            for _ in 0..self.n {
                out.extend_from_slice(row);
            }
        }
        out.resize(b * self.n * f, 0.0);
        Ok(vec![make_tensor(&self.base, vec![b, self.n, f], out)?])
    }
}

// ---------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------

/// `Masking`: time steps whose features all equal `mask_value` are masked
/// (and zeroed).
#[derive(Debug, Clone)]
pub struct Masking {
    base: Base,
    mask_value: f64,
    raw: Value,
}

impl Masking {
    /// Build from a Keras / TF.js config (errors name the layer and field).
    pub fn from_config(cfg: &ConfigReader<'_>) -> Result<Self> {
        let mask_value = cfg.f64_or("mask_value", 0.0)?;
        Ok(Masking {
            base: Base::parse(cfg)?,
            mask_value,
            raw: cfg.get("mask_value").cloned().unwrap_or(json!(0)),
        })
    }

    /// `[batch, time]` (for rank ≥ 3 inputs, all leading dims but the last)
    /// 0/1 flags: 1 where any feature differs from `mask_value`.
    fn flags(&self, x: &Tensor) -> Result<(Vec<usize>, Vec<f32>)> {
        if x.rank() < 2 {
            return Err(self.base.err("expects an input of rank >= 2"));
        }
        let f = *x.shape().last().expect("rank >= 2");
        let data = x.to_f32();
        let mv = self.mask_value as f32;
        let flags: Vec<f32> = data
            .chunks(f.max(1))
            .map(|row| {
                if row.iter().any(|&v| v != mv) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        Ok((x.shape()[..x.rank() - 1].to_vec(), flags))
    }
}

impl Layer for Masking {
    fn class_name(&self) -> &str {
        "Masking"
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("mask_value".into(), self.raw.clone());
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![one_shape(&self.base, inputs)?.clone()])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let (_, flags) = self.flags(x)?;
        let f = *x.shape().last().expect("rank >= 2");
        let mut data = x.to_f32().into_owned();
        for (row, &keep) in data.chunks_mut(f.max(1)).zip(&flags) {
            if keep == 0.0 {
                row.iter_mut().for_each(|v| *v = 0.0);
            }
        }
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), data)?])
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        _masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let x = one_input(&self.base, inputs)?;
        let (shape, flags) = self.flags(x)?;
        Ok(vec![Some(make_tensor(&self.base, shape, flags)?)])
    }
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

fn boxed<L: Layer + 'static>(l: Result<L>) -> Result<Box<dyn Layer>> {
    l.map(|l| Box::new(l) as Box<dyn Layer>)
}

/// Register the core classes.
pub fn register(registry: &mut LayerRegistry) {
    fn reg<F>(r: &mut LayerRegistry, names: &[&str], f: F)
    where
        F: Fn(&ConfigReader<'_>) -> Result<Box<dyn Layer>> + Send + Sync + Clone + 'static,
    {
        for n in names {
            let f = f.clone();
            r.register(n, move |cfg: &ConfigReader<'_>, _ctx: &BuildContext<'_>| {
                f(cfg)
            });
        }
    }
    reg(registry, &["InputLayer"], |c| {
        boxed(InputLayer::from_config(c))
    });
    reg(registry, &["Dense"], |c| boxed(Dense::from_config(c)));
    reg(registry, &["Activation"], |c| {
        boxed(ActivationLayer::from_config(c))
    });
    reg(registry, &["Flatten"], |c| boxed(Flatten::from_config(c)));
    reg(registry, &["Reshape"], |c| boxed(Reshape::from_config(c)));
    reg(registry, &["Permute"], |c| boxed(Permute::from_config(c)));
    reg(registry, &["RepeatVector"], |c| {
        boxed(RepeatVector::from_config(c))
    });
    reg(registry, &["Masking"], |c| boxed(Masking::from_config(c)));
    for (name, kind) in [
        ("Dropout", PassKind::Dropout),
        ("SpatialDropout1D", PassKind::SpatialDropout1D),
        ("SpatialDropout2D", PassKind::SpatialDropout2D),
        ("SpatialDropout3D", PassKind::SpatialDropout3D),
        ("Identity", PassKind::Identity),
        ("ActivityRegularization", PassKind::ActivityRegularization),
    ] {
        reg(registry, &[name], move |c| {
            boxed(PassThrough::from_config(c, kind))
        });
    }
}

/// Shared by the other family modules.
pub(crate) fn boxed_layer<L: Layer + 'static>(l: Result<L>) -> Result<Box<dyn Layer>> {
    boxed(l)
}

/// Register `names` with a constructor that ignores the build context.
pub(crate) fn register_simple<F>(r: &mut LayerRegistry, names: &[&str], f: F)
where
    F: Fn(&ConfigReader<'_>) -> Result<Box<dyn Layer>> + Send + Sync + Clone + 'static,
{
    for n in names {
        let f = f.clone();
        r.register(n, move |cfg: &ConfigReader<'_>, _ctx: &BuildContext<'_>| {
            f(cfg)
        });
    }
}
