//! Recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, their cells
//! (`SimpleRNNCell`, `LSTMCell`, `GRUCell`), the generic `RNN`,
//! `StackedRNNCells`, `ConvLSTM2D` and `ConvLSTM2DCell`, at inference
//! semantics.
//!
//! * Gate blocks in the kernels: LSTM `i, f, c, o`; GRU `z, r, h`.
//! * GRU supports both `reset_after: false` (TensorFlow.js, bias `[3u]`) and
//!   `reset_after: true` (the Keras 2 default, bias `[2, 3u]`: row 0 is the
//!   input bias, row 1 the recurrent bias, which is applied inside the reset
//!   gate). TensorFlow.js itself rejects the latter; we run it as Keras does.
//! * The input projection of all timesteps is one matrix product
//!   ([`tfjs_kernels::matmul`]); each step then does one recurrent product and
//!   an elementwise gate loop.
//! * Masks (`[batch, time]`, 0/1) follow Keras: at a masked step the states
//!   keep their previous values and the output repeats the previous output
//!   (zeros with Keras' `zero_output_for_mask`, which `Bidirectional` forces
//!   for sequence outputs).
//! * `go_backwards` processes the sequence in reverse; with
//!   `return_sequences` the outputs stay in processing order (as Keras).
//! * `dropout`, `recurrent_dropout`, `unroll` and `stateful` are accepted and
//!   written back but have no effect at inference (states always start at
//!   zero unless initial states are passed as extra inputs).
//! * A stack of cells returns its states in TensorFlow.js's order: the last
//!   cell's states first (`[h2, c2, h1, c1]`).

use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{BuildContext, Layer, LayerRegistry, LayerWeight, LayersError, Result, Shape, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::{add_bias, conv2d, matmul, Conv2dParams, Padding};

/// Register the recurrent classes.
pub fn register(registry: &mut LayerRegistry) {
    for class in ["SimpleRNN", "LSTM", "GRU"] {
        registry.register(class, move |c, _| {
            Ok(Box::new(Rnn::from_builtin(class, c)?) as Box<dyn Layer>)
        });
    }
    registry.register("ConvLSTM2D", |c, _| {
        Ok(Box::new(Rnn::from_builtin("ConvLSTM2D", c)?) as Box<dyn Layer>)
    });
    registry.register("RNN", |c, ctx| {
        Ok(Box::new(Rnn::from_generic(c, ctx)?) as Box<dyn Layer>)
    });
    for class in [
        "SimpleRNNCell",
        "LSTMCell",
        "GRUCell",
        "ConvLSTM2DCell",
        "StackedRNNCells",
    ] {
        registry.register(class, move |c, _| {
            let stack = parse_cell_object(class, c)?;
            Ok(Box::new(CellLayer { stack }) as Box<dyn Layer>)
        });
    }
}

// ---------------------------------------------------------------------------
// Shared helpers for the layer-B modules (config writing, base fields).
// ---------------------------------------------------------------------------

/// The base `Layer` fields every config carries.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub name: String,
    pub trainable: bool,
    /// `batch_input_shape`, when the layer was given an input shape.
    pub batch_input_shape: Option<Shape>,
    /// Written after `batch_input_shape` (TensorFlow.js writes `dtype` only
    /// for layers with an input shape).
    pub dtype: Option<String>,
}

impl Base {
    /// Read `name`, `trainable` and the input-shape fields
    /// (`batch_input_shape`, or `input_shape` + `batch_size`, or Keras 3
    /// `batch_shape`).
    pub(crate) fn read(c: &ConfigReader<'_>) -> Result<Base> {
        let name = c.name().to_string();
        let trainable = c.bool_or("trainable", true)?;
        let mut bis = c.shape_opt("batch_input_shape")?;
        if bis.is_none() {
            if let Some(s) = c.shape_opt("input_shape")? {
                let bs = match c.get("batch_size") {
                    None => None,
                    Some(_) => Some(c.usize_req("batch_size")?),
                };
                bis = Some(std::iter::once(bs).chain(s).collect());
            }
        }
        if bis.is_none() {
            bis = c.shape_opt("batch_shape")?;
        }
        let dtype = bis
            .as_ref()
            .map(|_| c.dtype().unwrap_or("float32").to_string());
        Ok(Base {
            name,
            trainable,
            batch_input_shape: bis,
            dtype,
        })
    }

    /// `name`, `trainable`.
    pub(crate) fn write_name(&self, m: &mut Map<String, Value>) {
        m.insert("name".into(), Value::String(self.name.clone()));
        m.insert("trainable".into(), Value::Bool(self.trainable));
    }

    /// `batch_input_shape`, `dtype` (when set).
    pub(crate) fn write_shape(&self, m: &mut Map<String, Value>) {
        if let Some(s) = &self.batch_input_shape {
            m.insert("batch_input_shape".into(), shape_json(s));
        }
        if let Some(d) = &self.dtype {
            m.insert("dtype".into(), Value::String(d.clone()));
        }
    }

    /// `name`, `trainable`, `batch_input_shape`, `dtype`.
    pub(crate) fn write(&self, m: &mut Map<String, Value>) {
        self.write_name(m);
        self.write_shape(m);
    }
}

/// A shape as JSON (`null` for unknown dims).
pub(crate) fn shape_json(s: &[Option<usize>]) -> Value {
    Value::Array(
        s.iter()
            .map(|d| d.map_or(Value::Null, |d| Value::from(d as u64)))
            .collect(),
    )
}

/// A number as JavaScript's `JSON.stringify` writes it (`1`, not `1.0`).
pub(crate) fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)
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

/// `VarianceScaling(scale, mode, distribution)` as TensorFlow.js writes it.
pub(crate) fn variance_scaling(scale: f64, mode: &str, distribution: &str, seed: Value) -> Value {
    json!({"class_name": "VarianceScaling",
           "config": {"scale": num(scale), "mode": mode, "distribution": distribution, "seed": seed}})
}

/// TensorFlow.js's default kernel initializer (glorotNormal).
pub(crate) fn glorot_normal() -> Value {
    variance_scaling(1.0, "fan_avg", "normal", Value::Null)
}

/// `{"class_name": "Zeros", "config": {}}`.
pub(crate) fn zeros_init() -> Value {
    json!({"class_name": "Zeros", "config": {}})
}

/// The initializer under `key` as TensorFlow.js would serialize it
/// (Glorot/He/LeCun become `VarianceScaling`, numbers are JS-formatted),
/// or `default` when absent.
pub(crate) fn initializer(c: &ConfigReader<'_>, key: &str, default: Value) -> Value {
    match c.get(key) {
        None => default,
        Some(v) => normalize_initializer(v),
    }
}

fn normalize_initializer(v: &Value) -> Value {
    let empty = Map::new();
    let (class, cfg) = match v {
        Value::String(s) => (s.as_str(), &empty),
        Value::Object(o) => match o.get("class_name").and_then(Value::as_str) {
            Some(cls) => (
                cls,
                o.get("config").and_then(Value::as_object).unwrap_or(&empty),
            ),
            None => return v.clone(),
        },
        _ => return v.clone(),
    };
    let key: String = class
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let seed = cfg.get("seed").cloned().unwrap_or(Value::Null);
    let f = |k: &str, d: f64| num(cfg.get(k).and_then(Value::as_f64).unwrap_or(d));
    let s = |k: &str, d: &str| {
        Value::String(cfg.get(k).and_then(Value::as_str).unwrap_or(d).to_string())
    };
    match key.as_str() {
        "glorotuniform" => variance_scaling(1.0, "fan_avg", "uniform", seed),
        "glorotnormal" => variance_scaling(1.0, "fan_avg", "normal", seed),
        "henormal" => variance_scaling(2.0, "fan_in", "normal", seed),
        "heuniform" => variance_scaling(2.0, "fan_in", "uniform", seed),
        "lecunnormal" => variance_scaling(1.0, "fan_in", "normal", seed),
        "lecununiform" => variance_scaling(1.0, "fan_in", "uniform", seed),
        "zeros" | "zero" => zeros_init(),
        "ones" | "one" => json!({"class_name": "Ones", "config": {}}),
        "constant" => json!({"class_name": "Constant", "config": {"value": f("value", 0.0)}}),
        "randomuniform" | "uniform" => json!({"class_name": "RandomUniform",
            "config": {"minval": f("minval", -0.05), "maxval": f("maxval", 0.05), "seed": seed}}),
        "randomnormal" | "normal" => json!({"class_name": "RandomNormal",
            "config": {"mean": f("mean", 0.0), "stddev": f("stddev", 0.05), "seed": seed}}),
        "truncatednormal" => json!({"class_name": "TruncatedNormal",
            "config": {"mean": f("mean", 0.0), "stddev": f("stddev", 0.05), "seed": seed}}),
        "identity" => json!({"class_name": "Identity", "config": {"gain": f("gain", 1.0)}}),
        "orthogonal" => json!({"class_name": "Orthogonal",
            "config": {"gain": f("gain", 1.0), "seed": seed}}),
        "variancescaling" => json!({"class_name": "VarianceScaling",
            "config": {"scale": f("scale", 1.0), "mode": s("mode", "fan_in"),
                       "distribution": s("distribution", "normal"), "seed": seed}}),
        _ => strip_meta(v),
    }
}

/// Parse an activation field (a string; Keras 3 may write an object).
pub(crate) fn activation(c: &ConfigReader<'_>, key: &str, default: &str) -> Result<Activation> {
    let name = match c.get(key) {
        None => default,
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => o
            .get("config")
            .and_then(|c| c.get("name"))
            .or_else(|| o.get("class_name"))
            .and_then(Value::as_str)
            .ok_or_else(|| c.err(key, "activation object without a name"))?,
        Some(v) => return Err(c.err(key, format!("expected an activation name, got {v}"))),
    };
    Activation::parse(name).map_err(|e| c.err(key, e))
}

/// An input error naming the layer.
pub(crate) fn input_err(layer: &str, message: impl std::fmt::Display) -> LayersError {
    LayersError::Input {
        message: format!("layer `{layer}`: {message}"),
    }
}

/// The f32 values of a tensor (i32 converted).
pub(crate) fn f32s(t: &Tensor) -> std::borrow::Cow<'_, [f32]> {
    t.to_f32()
}

/// Check that `masks[i]`, if present, is `[batch, time]`; return its data.
pub(crate) fn seq_mask<'a>(
    layer: &str,
    masks: &'a [Option<Tensor>],
    i: usize,
    batch: usize,
    time: usize,
) -> Result<Option<std::borrow::Cow<'a, [f32]>>> {
    match masks.get(i).and_then(Option::as_ref) {
        None => Ok(None),
        Some(m) => {
            if m.shape() != [batch, time] {
                return Err(input_err(
                    layer,
                    format!("mask has shape {:?}, expected [{batch}, {time}]", m.shape()),
                ));
            }
            Ok(Some(m.to_f32()))
        }
    }
}

/// The shape of the first input, or an error.
pub(crate) fn first_shape<'a>(layer: &str, inputs: &'a [Shape]) -> Result<&'a Shape> {
    inputs
        .first()
        .ok_or_else(|| input_err(layer, "expected at least one input"))
}

/// The first input tensor, or an error.
pub(crate) fn first_input<'a>(layer: &str, inputs: &'a [Tensor]) -> Result<&'a Tensor> {
    inputs
        .first()
        .ok_or_else(|| input_err(layer, "expected at least one input"))
}

/// Replace `slot` by `value` after checking its shape against `want`.
pub(crate) fn put_weight(layer: &str, wname: &str, slot: &mut Tensor, value: Tensor) -> Result<()> {
    if value.shape() != slot.shape() {
        return Err(LayersError::Weights {
            message: format!(
                "layer `{layer}`: weight `{wname}` has shape {:?}, expected {:?}",
                value.shape(),
                slot.shape()
            ),
        });
    }
    let (shape, data) = value.into_parts();
    let data = match data {
        crate::TensorData::F32(v) => v,
        crate::TensorData::I32(v) => v.into_iter().map(|x| x as f32).collect(),
    };
    *slot = Tensor::from_f32(shape, data)?;
    Ok(())
}

/// Most elements a weight allocated from config numbers may have (2^30,
/// 4 GiB of f32): larger sizes are certainly corrupt configs.
pub(crate) const MAX_WEIGHT_ELEMENTS: usize = 1 << 30;

/// A zero tensor of `shape`, refusing absurd sizes from untrusted configs.
pub(crate) fn alloc_zeros(layer: &str, shape: Vec<usize>) -> Result<Tensor> {
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_WEIGHT_ELEMENTS);
    if n.is_none() {
        return Err(LayersError::config(
            layer,
            format!("weight shape {shape:?} is too large (over {MAX_WEIGHT_ELEMENTS} elements)"),
        ));
    }
    Ok(Tensor::zeros(shape))
}

fn f32_of(t: &Tensor) -> &[f32] {
    // Weights are always stored as f32 (see `put_weight`).
    t.as_f32().unwrap_or(&[])
}

// ---------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Lstm,
    Gru,
}

/// A SimpleRNN / LSTM / GRU cell with its weights.
#[derive(Debug, Clone)]
struct Cell {
    class: &'static str,
    base: Base,
    kind: Kind,
    units: usize,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    reset_after: bool,
    /// Config fields after the base fields, in TensorFlow.js's order.
    fields: Vec<(String, Value)>,
    input_dim: Option<usize>,
    kernel: Tensor,
    recurrent_kernel: Tensor,
    bias: Tensor,
}

fn cell_kind(class: &str) -> Option<(Kind, &'static str)> {
    Some(match class {
        "SimpleRNN" | "SimpleRNNCell" => (Kind::Simple, "SimpleRNNCell"),
        "LSTM" | "LSTMCell" => (Kind::Lstm, "LSTMCell"),
        "GRU" | "GRUCell" => (Kind::Gru, "GRUCell"),
        _ => return None,
    })
}

impl Cell {
    fn from_config(class: &str, c: &ConfigReader<'_>) -> Result<Cell> {
        let (kind, cell_class) = cell_kind(class)
            .ok_or_else(|| LayersError::config(c.layer, format!("`{class}` is not a cell")))?;
        let base = Base::read(c)?;
        let units = c.usize_req("units")?;
        if units == 0 {
            return Err(c.err("units", "must be positive"));
        }
        let act = activation(c, "activation", "tanh")?;
        let ract = activation(c, "recurrent_activation", "hard_sigmoid")?;
        let use_bias = c.bool_or("use_bias", true)?;
        let reset_after = kind == Kind::Gru && c.bool_or("reset_after", false)?;
        let mut f: Vec<(String, Value)> = Vec::new();
        let mut push = |k: &str, v: Value| f.push((k.to_string(), v));
        push("units", Value::from(units as u64));
        push("activation", Value::String(act.name().into()));
        if kind != Kind::Simple {
            push("recurrent_activation", Value::String(ract.name().into()));
        }
        push("use_bias", Value::Bool(use_bias));
        push(
            "kernel_initializer",
            initializer(c, "kernel_initializer", glorot_normal()),
        );
        push(
            "recurrent_initializer",
            initializer(
                c,
                "recurrent_initializer",
                json!({"class_name": "Orthogonal", "config": {"gain": 1, "seed": null}}),
            ),
        );
        push(
            "bias_initializer",
            initializer(c, "bias_initializer", zeros_init()),
        );
        if kind == Kind::Lstm {
            push("unit_forget_bias", passthrough(c, "unit_forget_bias"));
        }
        for k in [
            "kernel_regularizer",
            "recurrent_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "kernel_constraint",
            "recurrent_constraint",
            "bias_constraint",
        ] {
            push(k, passthrough(c, k));
        }
        push("dropout", num(c.f64_or("dropout", 0.0)?));
        push(
            "recurrent_dropout",
            num(c.f64_or("recurrent_dropout", 0.0)?),
        );
        if kind != Kind::Simple {
            push("implementation", passthrough(c, "implementation"));
        }
        if kind == Kind::Gru {
            push("reset_after", Value::Bool(reset_after));
        }
        let input_dim = base
            .batch_input_shape
            .as_ref()
            .and_then(|s| s.last().copied().flatten());
        let mut cell = Cell {
            class: cell_class,
            base,
            kind,
            units,
            activation: act,
            recurrent_activation: ract,
            use_bias,
            reset_after,
            fields: f,
            input_dim: None,
            kernel: Tensor::zeros(vec![0]),
            recurrent_kernel: Tensor::zeros(vec![0]),
            bias: Tensor::zeros(vec![0]),
        };
        cell.allocate(input_dim.unwrap_or(0))?;
        cell.input_dim = input_dim;
        Ok(cell)
    }

    fn gates(&self) -> usize {
        match self.kind {
            Kind::Simple => 1,
            Kind::Lstm => 4,
            Kind::Gru => 3,
        }
    }

    fn bias_shape(&self) -> Vec<usize> {
        let gu = self.gates() * self.units;
        if self.reset_after {
            vec![2, gu]
        } else {
            vec![gu]
        }
    }

    fn allocate(&mut self, input_dim: usize) -> Result<()> {
        let gu = self
            .gates()
            .checked_mul(self.units)
            .ok_or_else(|| LayersError::config(&self.base.name, "units is too large"))?;
        let name = &self.base.name;
        self.kernel = alloc_zeros(name, vec![input_dim, gu])?;
        self.recurrent_kernel = alloc_zeros(name, vec![self.units, gu])?;
        self.bias = if self.use_bias {
            alloc_zeros(name, self.bias_shape())?
        } else {
            Tensor::zeros(vec![0])
        };
        self.input_dim = Some(input_dim);
        Ok(())
    }

    fn build(&mut self, input_dim: usize) -> Result<()> {
        if self.input_dim != Some(input_dim) {
            self.allocate(input_dim)?;
        }
        Ok(())
    }

    fn state_sizes(&self) -> Vec<usize> {
        match self.kind {
            Kind::Lstm => vec![self.units, self.units],
            _ => vec![self.units],
        }
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.base.write(&mut m);
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    fn weights(&self, prefix: &str, trainable: bool) -> Vec<LayerWeight> {
        let mut w = vec![
            LayerWeight {
                name: format!("{prefix}kernel"),
                shape: self.kernel.shape().to_vec(),
                trainable,
            },
            LayerWeight {
                name: format!("{prefix}recurrent_kernel"),
                shape: self.recurrent_kernel.shape().to_vec(),
                trainable,
            },
        ];
        if self.use_bias {
            w.push(LayerWeight {
                name: format!("{prefix}bias"),
                shape: self.bias.shape().to_vec(),
                trainable,
            });
        }
        w
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        let mut v = vec![&self.kernel, &self.recurrent_kernel];
        if self.use_bias {
            v.push(&self.bias);
        }
        v
    }

    fn num_weights(&self) -> usize {
        2 + usize::from(self.use_bias)
    }

    fn set_weight(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        match index {
            0 => {
                // The kernel fixes the input size if the layer was not built.
                if self.input_dim.is_none() || self.input_dim == Some(0) {
                    if let [d, _] = value.shape() {
                        self.allocate(*d)?;
                    }
                }
                put_weight(layer, "kernel", &mut self.kernel, value)
            }
            1 => put_weight(layer, "recurrent_kernel", &mut self.recurrent_kernel, value),
            2 if self.use_bias => put_weight(layer, "bias", &mut self.bias, value),
            _ => Err(LayersError::config(
                layer,
                format!("layer has no weight #{index}"),
            )),
        }
    }

    /// Run the cell over a `[b, t, d]` sequence. Returns the per-step outputs
    /// `[b, t, units]` in processing order and the final states.
    fn run(
        &self,
        layer: &str,
        x: &[f32],
        (b, t, d): (usize, usize, usize),
        mask: Option<&[f32]>,
        backwards: bool,
        init: Option<Vec<Vec<f32>>>,
    ) -> Result<(Vec<f32>, Vec<Vec<f32>>)> {
        let u = self.units;
        let gu = self.gates() * u;
        if self.input_dim != Some(d) || self.kernel.shape() != [d, gu] {
            return Err(input_err(
                layer,
                format!(
                    "input has {d} features per timestep but the kernel is {:?}",
                    self.kernel.shape()
                ),
            ));
        }
        debug_assert_eq!(x.len(), b * t * d);
        let mut xp = vec![0f32; b * t * gu];
        matmul(x, f32_of(&self.kernel), b * t, d, gu, &mut xp, false);
        let bias = f32_of(&self.bias);
        if self.use_bias {
            add_bias(&mut xp, &bias[..gu]);
        }
        let rk = f32_of(&self.recurrent_kernel);
        let rec_bias = (self.reset_after && self.use_bias).then(|| &bias[gu..2 * gu]);
        // GRU (reset_after=false) multiplies (r*h) by the h-block of the
        // recurrent kernel: split it off once.
        let (rk_zr, rk_h): (Vec<f32>, Vec<f32>) = if self.kind == Kind::Gru && !self.reset_after {
            let mut zr = Vec::with_capacity(u * 2 * u);
            let mut h = Vec::with_capacity(u * u);
            for row in rk.chunks_exact(gu) {
                zr.extend_from_slice(&row[..2 * u]);
                h.extend_from_slice(&row[2 * u..]);
            }
            (zr, h)
        } else {
            (Vec::new(), Vec::new())
        };
        let n_states = self.state_sizes().len();
        let mut states = match init {
            Some(s) => s,
            None => vec![vec![0f32; b * u]; n_states],
        };
        check_states(layer, &states, n_states, b * u)?;
        let mut seq = vec![0f32; b * t * u];
        let mut rp = vec![0f32; b * gu];
        let mut new_h = vec![0f32; b * u];
        let mut new_c = vec![0f32; if self.kind == Kind::Lstm { b * u } else { 0 }];
        let mut zbuf = vec![0f32; if self.kind == Kind::Gru { b * u } else { 0 }];
        let mut rh_in = zbuf.clone();
        let mut rh = zbuf.clone();
        let (act, ract) = (self.activation, self.recurrent_activation);
        for step in 0..t {
            let ti = if backwards { t - 1 - step } else { step };
            let h = &states[0];
            match self.kind {
                Kind::Simple => {
                    matmul(h, rk, b, u, u, &mut rp, false);
                    for bi in 0..b {
                        let xr = &xp[(bi * t + ti) * gu..][..gu];
                        let rr = &rp[bi * u..][..u];
                        for j in 0..u {
                            new_h[bi * u + j] = act.scalar(xr[j] + rr[j]);
                        }
                    }
                }
                Kind::Lstm => {
                    matmul(h, rk, b, u, gu, &mut rp, false);
                    let c = &states[1];
                    for bi in 0..b {
                        let xr = &xp[(bi * t + ti) * gu..][..gu];
                        let rr = &rp[bi * gu..][..gu];
                        for j in 0..u {
                            let i = ract.scalar(xr[j] + rr[j]);
                            let f = ract.scalar(xr[u + j] + rr[u + j]);
                            let g = act.scalar(xr[2 * u + j] + rr[2 * u + j]);
                            let o = ract.scalar(xr[3 * u + j] + rr[3 * u + j]);
                            let cn = f * c[bi * u + j] + i * g;
                            new_c[bi * u + j] = cn;
                            new_h[bi * u + j] = o * act.scalar(cn);
                        }
                    }
                }
                Kind::Gru if self.reset_after => {
                    matmul(h, rk, b, u, gu, &mut rp, false);
                    if let Some(rb) = rec_bias {
                        add_bias(&mut rp, rb);
                    }
                    for bi in 0..b {
                        let xr = &xp[(bi * t + ti) * gu..][..gu];
                        let rr = &rp[bi * gu..][..gu];
                        for j in 0..u {
                            let z = ract.scalar(xr[j] + rr[j]);
                            let r = ract.scalar(xr[u + j] + rr[u + j]);
                            let hh = act.scalar(xr[2 * u + j] + r * rr[2 * u + j]);
                            let hp = h[bi * u + j];
                            new_h[bi * u + j] = z * hp + (1.0 - z) * hh;
                        }
                    }
                }
                Kind::Gru => {
                    let rp2 = &mut rp[..b * 2 * u];
                    matmul(h, &rk_zr, b, u, 2 * u, rp2, false);
                    for bi in 0..b {
                        let xr = &xp[(bi * t + ti) * gu..][..gu];
                        let rr = &rp2[bi * 2 * u..][..2 * u];
                        for j in 0..u {
                            let z = ract.scalar(xr[j] + rr[j]);
                            let r = ract.scalar(xr[u + j] + rr[u + j]);
                            zbuf[bi * u + j] = z;
                            rh_in[bi * u + j] = r * h[bi * u + j];
                        }
                    }
                    matmul(&rh_in, &rk_h, b, u, u, &mut rh, false);
                    for bi in 0..b {
                        let xr = &xp[(bi * t + ti) * gu..][..gu];
                        for j in 0..u {
                            let k = bi * u + j;
                            let hh = act.scalar(xr[2 * u + j] + rh[k]);
                            let z = zbuf[k];
                            new_h[k] = z * h[k] + (1.0 - z) * hh;
                        }
                    }
                }
            }
            for bi in 0..b {
                let keep = mask.is_none_or(|m| m[bi * t + ti] != 0.0);
                let r = bi * u..(bi + 1) * u;
                if keep {
                    states[0][r.clone()].copy_from_slice(&new_h[r.clone()]);
                    if self.kind == Kind::Lstm {
                        states[1][r.clone()].copy_from_slice(&new_c[r.clone()]);
                    }
                }
                seq[(bi * t + step) * u..][..u].copy_from_slice(&states[0][r]);
            }
        }
        Ok((seq, states))
    }
}

/// Per-step outputs, final states and output rows × cols of a ConvLSTM2D run.
type ConvRun = (Vec<f32>, Vec<Vec<f32>>, (usize, usize));

/// Per-step outputs, final states and per-step output shape of a stack run.
type StackRun = (Vec<f32>, Vec<Vec<f32>>, Vec<usize>);

// ---------------------------------------------------------------------------
// ConvLSTM2D cell
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct ConvCell {
    base: Base,
    filters: usize,
    kernel_size: [usize; 2],
    strides: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
    channels_first: bool,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    fields: Vec<(String, Value)>,
    in_channels: Option<usize>,
    kernel: Tensor,
    recurrent_kernel: Tensor,
    bias: Tensor,
}

impl ConvCell {
    fn from_config(c: &ConfigReader<'_>) -> Result<ConvCell> {
        let base = Base::read(c)?;
        let filters = c.usize_req("filters")?;
        if filters == 0 {
            return Err(c.err("filters", "must be positive"));
        }
        let ks = c.tuple_req("kernel_size", 2)?;
        let st = c.tuple_or("strides", 2, 1)?;
        let dl = c.tuple_or("dilation_rate", 2, 1)?;
        if ks.contains(&0) || st.contains(&0) || dl.contains(&0) {
            return Err(c.err(
                "kernel_size",
                "kernel_size, strides and dilation_rate must be positive",
            ));
        }
        let padding_s = c.str_or("padding", "valid")?;
        let padding = match padding_s {
            "valid" => Padding::Valid,
            "same" => Padding::Same,
            other => {
                return Err(c.err(
                    "padding",
                    format!("expected \"valid\" or \"same\", got \"{other}\""),
                ))
            }
        };
        let data_format = c.str_or("data_format", "channels_last")?;
        let channels_first = match data_format {
            "channels_last" => false,
            "channels_first" => true,
            other => {
                return Err(c.err(
                    "data_format",
                    format!("expected channels_last or channels_first, got \"{other}\""),
                ))
            }
        };
        let act = activation(c, "activation", "tanh")?;
        let ract = activation(c, "recurrent_activation", "hard_sigmoid")?;
        let use_bias = c.bool_or("use_bias", true)?;
        let mut f: Vec<(String, Value)> = Vec::new();
        let mut push = |k: &str, v: Value| f.push((k.to_string(), v));
        push("activation", Value::String(act.name().into()));
        push("recurrent_activation", Value::String(ract.name().into()));
        push("use_bias", Value::Bool(use_bias));
        push(
            "kernel_initializer",
            initializer(c, "kernel_initializer", glorot_normal()),
        );
        push(
            "recurrent_initializer",
            initializer(
                c,
                "recurrent_initializer",
                json!({"class_name": "Orthogonal", "config": {"gain": 1, "seed": null}}),
            ),
        );
        push(
            "bias_initializer",
            initializer(c, "bias_initializer", zeros_init()),
        );
        push("unit_forget_bias", passthrough(c, "unit_forget_bias"));
        for k in [
            "kernel_regularizer",
            "recurrent_regularizer",
            "bias_regularizer",
            "activity_regularizer",
            "kernel_constraint",
            "recurrent_constraint",
            "bias_constraint",
        ] {
            push(k, passthrough(c, k));
        }
        push("dropout", num(c.f64_or("dropout", 0.0)?));
        push(
            "recurrent_dropout",
            num(c.f64_or("recurrent_dropout", 0.0)?),
        );
        push("implementation", passthrough(c, "implementation"));
        push("filters", Value::from(filters as u64));
        push("kernel_size", json!(ks));
        push("padding", Value::String(padding_s.into()));
        push("data_format", Value::String(data_format.into()));
        push("dilation_rate", json!(dl));
        push("strides", json!(st));
        let in_ch = base.batch_input_shape.as_ref().and_then(|s| {
            if channels_first {
                s.get(s.len().wrapping_sub(3)).copied().flatten()
            } else {
                s.last().copied().flatten()
            }
        });
        let mut cell = ConvCell {
            base,
            filters,
            kernel_size: [ks[0], ks[1]],
            strides: [st[0], st[1]],
            dilation: [dl[0], dl[1]],
            padding,
            channels_first,
            activation: act,
            recurrent_activation: ract,
            use_bias,
            fields: f,
            in_channels: None,
            kernel: Tensor::zeros(vec![0]),
            recurrent_kernel: Tensor::zeros(vec![0]),
            bias: Tensor::zeros(vec![0]),
        };
        cell.allocate(in_ch.unwrap_or(0))?;
        cell.in_channels = in_ch;
        Ok(cell)
    }

    fn allocate(&mut self, cin: usize) -> Result<()> {
        let [kh, kw] = self.kernel_size;
        let name = &self.base.name;
        let f4 = self
            .filters
            .checked_mul(4)
            .ok_or_else(|| LayersError::config(name, "filters is too large"))?;
        self.kernel = alloc_zeros(name, vec![kh, kw, cin, f4])?;
        self.recurrent_kernel = alloc_zeros(name, vec![kh, kw, self.filters, f4])?;
        self.bias = if self.use_bias {
            alloc_zeros(name, vec![f4])?
        } else {
            Tensor::zeros(vec![0])
        };
        self.in_channels = Some(cin);
        Ok(())
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        self.base.write(&mut m);
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    fn weights(&self, trainable: bool) -> Vec<LayerWeight> {
        let mut w = vec![
            LayerWeight {
                name: "kernel".into(),
                shape: self.kernel.shape().to_vec(),
                trainable,
            },
            LayerWeight {
                name: "recurrent_kernel".into(),
                shape: self.recurrent_kernel.shape().to_vec(),
                trainable,
            },
        ];
        if self.use_bias {
            w.push(LayerWeight {
                name: "bias".into(),
                shape: self.bias.shape().to_vec(),
                trainable,
            });
        }
        w
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        let mut v = vec![&self.kernel, &self.recurrent_kernel];
        if self.use_bias {
            v.push(&self.bias);
        }
        v
    }

    fn set_weight(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        match index {
            0 => {
                if self.in_channels.is_none() || self.in_channels == Some(0) {
                    if let [_, _, cin, _] = value.shape() {
                        self.allocate(*cin)?;
                    }
                }
                put_weight(layer, "kernel", &mut self.kernel, value)
            }
            1 => put_weight(layer, "recurrent_kernel", &mut self.recurrent_kernel, value),
            2 if self.use_bias => put_weight(layer, "bias", &mut self.bias, value),
            _ => Err(LayersError::config(
                layer,
                format!("layer has no weight #{index}"),
            )),
        }
    }

    /// Output spatial size for an `h × w` input.
    fn out_hw(&self, layer: &str, h: usize, w: usize) -> Result<(usize, usize)> {
        let oh = tfjs_kernels::conv_output_size(
            h,
            self.kernel_size[0],
            self.strides[0],
            self.dilation[0],
            self.padding,
        )
        .map_err(|e| input_err(layer, e))?
        .0;
        let ow = tfjs_kernels::conv_output_size(
            w,
            self.kernel_size[1],
            self.strides[1],
            self.dilation[1],
            self.padding,
        )
        .map_err(|e| input_err(layer, e))?
        .0;
        Ok((oh, ow))
    }

    /// Run over `[b, t, h, w, c]` (channels-last). Returns the per-step
    /// outputs `[b, t, oh, ow, f]` and the final states `[h, c]`.
    fn run(
        &self,
        layer: &str,
        x: &[f32],
        (b, t, h, w, cin): (usize, usize, usize, usize, usize),
        mask: Option<&[f32]>,
        backwards: bool,
        init: Option<Vec<Vec<f32>>>,
    ) -> Result<ConvRun> {
        if self.in_channels != Some(cin) {
            return Err(input_err(
                layer,
                format!(
                    "input has {cin} channels but the kernel is {:?}",
                    self.kernel.shape()
                ),
            ));
        }
        let f = self.filters;
        let f4 = 4 * f;
        let (oh, ow) = self.out_hw(layer, h, w)?;
        let px = oh * ow;
        let kerr = |e: tfjs_kernels::KernelError| input_err(layer, e);
        let pin = Conv2dParams::new(
            b * t,
            [h, w],
            cin,
            f4,
            self.kernel_size,
            self.strides,
            self.dilation,
            self.padding,
        )
        .map_err(kerr)?;
        let mut xp = vec![0f32; b * t * px * f4];
        let bias = self.use_bias.then(|| f32_of(&self.bias));
        conv2d(x, f32_of(&self.kernel), bias, &pin, &mut xp);
        let prec = Conv2dParams::new(
            b,
            [oh, ow],
            f,
            f4,
            self.kernel_size,
            [1, 1],
            [1, 1],
            Padding::Same,
        )
        .map_err(kerr)?;
        let n = b * px * f;
        let mut states = match init {
            Some(s) => s,
            None => vec![vec![0f32; n]; 2],
        };
        check_states(layer, &states, 2, n)?;
        let mut seq = vec![0f32; b * t * px * f];
        let mut rp = vec![0f32; b * px * f4];
        let mut new_h = vec![0f32; n];
        let mut new_c = vec![0f32; n];
        let (act, ract) = (self.activation, self.recurrent_activation);
        for step in 0..t {
            let ti = if backwards { t - 1 - step } else { step };
            conv2d(
                &states[0],
                f32_of(&self.recurrent_kernel),
                None,
                &prec,
                &mut rp,
            );
            let c = &states[1];
            for bi in 0..b {
                for p in 0..px {
                    let xr = &xp[((bi * t + ti) * px + p) * f4..][..f4];
                    let rr = &rp[(bi * px + p) * f4..][..f4];
                    let o0 = (bi * px + p) * f;
                    for j in 0..f {
                        let i = ract.scalar(xr[j] + rr[j]);
                        let fg = ract.scalar(xr[f + j] + rr[f + j]);
                        let g = act.scalar(xr[2 * f + j] + rr[2 * f + j]);
                        let o = ract.scalar(xr[3 * f + j] + rr[3 * f + j]);
                        let cn = fg * c[o0 + j] + i * g;
                        new_c[o0 + j] = cn;
                        new_h[o0 + j] = o * act.scalar(cn);
                    }
                }
            }
            let per = px * f;
            for bi in 0..b {
                let keep = mask.is_none_or(|m| m[bi * t + ti] != 0.0);
                let r = bi * per..(bi + 1) * per;
                if keep {
                    states[0][r.clone()].copy_from_slice(&new_h[r.clone()]);
                    states[1][r.clone()].copy_from_slice(&new_c[r.clone()]);
                }
                seq[(bi * t + step) * per..][..per].copy_from_slice(&states[0][r]);
            }
        }
        Ok((seq, states, (oh, ow)))
    }
}

// ---------------------------------------------------------------------------
// Cell stacks
// ---------------------------------------------------------------------------

/// What an RNN layer iterates: one cell, a stack, or a ConvLSTM2D cell.
#[derive(Debug, Clone)]
enum Stack {
    Single(Cell),
    Stacked { base: Base, cells: Vec<Cell> },
    Conv(ConvCell),
}

/// Parse a nested `{class_name, config}` cell object (or list of them).
fn parse_cell_value(v: &Value, parent: &str) -> Result<Stack> {
    if let Value::Array(items) = v {
        let cells = items
            .iter()
            .map(|it| match parse_cell_value(it, parent)? {
                Stack::Single(c) => Ok(c),
                _ => Err(LayersError::config(
                    parent,
                    "a list of cells may only hold SimpleRNNCell, LSTMCell or GRUCell",
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        if cells.is_empty() {
            return Err(LayersError::config(parent, "the list of cells is empty"));
        }
        let empty = Map::new();
        return Ok(Stack::Stacked {
            base: Base::read(&ConfigReader::new(parent, &empty))?.renamed("stacked_rnn_cells"),
            cells,
        });
    }
    let obj = v.as_object().ok_or_else(|| {
        LayersError::config(parent, "config field `cell`: expected {class_name, config}")
    })?;
    let class = obj
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| LayersError::config(parent, "config field `cell`: no class_name"))?;
    let empty = Map::new();
    let cfg = obj
        .get("config")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let name = cfg.get("name").and_then(Value::as_str).unwrap_or(class);
    parse_cell_object(class, &ConfigReader::new(name, cfg))
}

fn parse_cell_object(class: &str, c: &ConfigReader<'_>) -> Result<Stack> {
    match class {
        "SimpleRNNCell" | "LSTMCell" | "GRUCell" => Ok(Stack::Single(Cell::from_config(class, c)?)),
        "ConvLSTM2DCell" => Ok(Stack::Conv(ConvCell::from_config(c)?)),
        "StackedRNNCells" => {
            let base = Base::read(c)?;
            let cells = c.required("cells")?;
            match parse_cell_value(cells, c.layer)? {
                Stack::Stacked { cells, .. } => Ok(Stack::Stacked { base, cells }),
                Stack::Single(cell) => Ok(Stack::Stacked {
                    base,
                    cells: vec![cell],
                }),
                Stack::Conv(_) => Err(c.err("cells", "expected a list of cells")),
            }
        }
        other => Err(LayersError::config(
            c.layer,
            format!(
                "RNN cell class `{other}` is not supported (expected SimpleRNNCell, LSTMCell, \
                 GRUCell, ConvLSTM2DCell or StackedRNNCells)"
            ),
        )),
    }
}

impl Base {
    fn renamed(mut self, name: &str) -> Base {
        self.name = name.to_string();
        self
    }
}

impl Stack {
    fn class_name(&self) -> &'static str {
        match self {
            Stack::Single(c) => c.class,
            Stack::Stacked { .. } => "StackedRNNCells",
            Stack::Conv(_) => "ConvLSTM2DCell",
        }
    }

    fn base(&self) -> &Base {
        match self {
            Stack::Single(c) => &c.base,
            Stack::Stacked { base, .. } => base,
            Stack::Conv(c) => &c.base,
        }
    }

    fn config(&self) -> Map<String, Value> {
        match self {
            Stack::Single(c) => c.config(),
            Stack::Conv(c) => c.config(),
            Stack::Stacked { base, cells } => {
                let mut m = Map::new();
                base.write(&mut m);
                m.insert(
                    "cells".into(),
                    Value::Array(
                        cells
                            .iter()
                            .map(|c| json!({"class_name": c.class, "config": c.config()}))
                            .collect(),
                    ),
                );
                m
            }
        }
    }

    /// Output features (units / filters).
    fn units(&self) -> usize {
        match self {
            Stack::Single(c) => c.units,
            Stack::Stacked { cells, .. } => cells.last().map_or(0, |c| c.units),
            Stack::Conv(c) => c.filters,
        }
    }

    /// State sizes in the order states are returned (stacks: last cell first).
    fn state_sizes(&self) -> Vec<usize> {
        match self {
            Stack::Single(c) => c.state_sizes(),
            Stack::Stacked { cells, .. } => {
                cells.iter().rev().flat_map(|c| c.state_sizes()).collect()
            }
            Stack::Conv(c) => vec![c.filters, c.filters],
        }
    }

    fn build(&mut self, feature_dim: usize) -> Result<()> {
        match self {
            Stack::Single(c) => c.build(feature_dim),
            Stack::Stacked { cells, .. } => {
                let mut d = feature_dim;
                for c in cells {
                    c.build(d)?;
                    d = c.units;
                }
                Ok(())
            }
            Stack::Conv(c) => {
                if c.in_channels != Some(feature_dim) {
                    c.allocate(feature_dim)?;
                }
                Ok(())
            }
        }
    }

    fn weights(&self, trainable: bool) -> Vec<LayerWeight> {
        match self {
            Stack::Single(c) => c.weights("", trainable),
            Stack::Stacked { cells, .. } => cells
                .iter()
                .enumerate()
                .flat_map(|(i, c)| c.weights(&format!("RNNCell_{i}/"), trainable))
                .collect(),
            Stack::Conv(c) => c.weights(trainable),
        }
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        match self {
            Stack::Single(c) => c.weight_values(),
            Stack::Stacked { cells, .. } => cells.iter().flat_map(|c| c.weight_values()).collect(),
            Stack::Conv(c) => c.weight_values(),
        }
    }

    fn set_weight(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        match self {
            Stack::Single(c) => c.set_weight(layer, index, value),
            Stack::Conv(c) => c.set_weight(layer, index, value),
            Stack::Stacked { cells, .. } => {
                let mut i = index;
                for c in cells.iter_mut() {
                    if i < c.num_weights() {
                        return c.set_weight(layer, i, value);
                    }
                    i -= c.num_weights();
                }
                Err(LayersError::config(
                    layer,
                    format!("layer has no weight #{index}"),
                ))
            }
        }
    }

    /// Feature shape of the per-step output for a per-step input shape
    /// (without batch and time).
    fn step_output_shape(&self, layer: &str, step_in: &[Option<usize>]) -> Result<Shape> {
        match self {
            Stack::Conv(c) => {
                if step_in.len() != 3 {
                    return Err(input_err(
                        layer,
                        format!(
                            "ConvLSTM2D expects 5-D input [batch, time, rows, cols, channels], \
                             got a per-step shape {step_in:?}"
                        ),
                    ));
                }
                let (hi, wi) = if c.channels_first { (1, 2) } else { (0, 1) };
                let oh = step_in[hi]
                    .map(|h| {
                        tfjs_kernels::conv_output_size(
                            h,
                            c.kernel_size[0],
                            c.strides[0],
                            c.dilation[0],
                            c.padding,
                        )
                        .map(|x| x.0)
                    })
                    .transpose()
                    .map_err(|e| input_err(layer, e))?;
                let ow = step_in[wi]
                    .map(|w| {
                        tfjs_kernels::conv_output_size(
                            w,
                            c.kernel_size[1],
                            c.strides[1],
                            c.dilation[1],
                            c.padding,
                        )
                        .map(|x| x.0)
                    })
                    .transpose()
                    .map_err(|e| input_err(layer, e))?;
                Ok(if c.channels_first {
                    vec![Some(c.filters), oh, ow]
                } else {
                    vec![oh, ow, Some(c.filters)]
                })
            }
            _ => {
                if step_in.len() != 1 {
                    return Err(input_err(
                        layer,
                        format!(
                            "expects 3-D input [batch, time, features], got a per-step shape \
                             {step_in:?}"
                        ),
                    ));
                }
                Ok(vec![Some(self.units())])
            }
        }
    }

    /// Run over the whole sequence. `x` is `[b, t, ...step]`. Returns the
    /// per-step outputs (`[b, t, ...out]`, processing order), the final
    /// states (return order) and the per-step output shape.
    fn run(
        &self,
        layer: &str,
        x: &Tensor,
        mask: Option<&[f32]>,
        backwards: bool,
        init: Option<Vec<Vec<f32>>>,
    ) -> Result<StackRun> {
        let shape = x.shape();
        let data = f32s(x);
        match self {
            Stack::Conv(c) => {
                if shape.len() != 5 {
                    return Err(input_err(
                        layer,
                        format!(
                            "expects 5-D input [batch, time, rows, cols, channels], got {shape:?}"
                        ),
                    ));
                }
                if c.channels_first {
                    return Err(input_err(
                        layer,
                        "data_format channels_first is not supported at inference; \
                         use channels_last",
                    ));
                }
                let (b, t, h, w, ch) = (shape[0], shape[1], shape[2], shape[3], shape[4]);
                let (seq, states, (oh, ow)) =
                    c.run(layer, &data, (b, t, h, w, ch), mask, backwards, init)?;
                Ok((seq, states, vec![oh, ow, c.filters]))
            }
            Stack::Single(c) => {
                let (b, t, d) = seq_dims(layer, shape)?;
                let (seq, states) = c.run(layer, &data, (b, t, d), mask, backwards, init)?;
                Ok((seq, states, vec![c.units]))
            }
            Stack::Stacked { cells, .. } => {
                let (b, t, d) = seq_dims(layer, shape)?;
                // Initial states come last-cell-first; split them per cell.
                let mut inits: Vec<Option<Vec<Vec<f32>>>> = vec![None; cells.len()];
                if let Some(mut all) = init {
                    for (i, c) in cells.iter().enumerate().rev() {
                        let n = c.state_sizes().len();
                        let rest = all.split_off(n.min(all.len()));
                        inits[i] = Some(std::mem::replace(&mut all, rest));
                    }
                }
                let mut cur: Vec<f32> = data.into_owned();
                let mut dim = d;
                let mut all_states: Vec<Vec<Vec<f32>>> = Vec::new();
                let mut m_owned: Option<Vec<f32>> = mask.map(<[f32]>::to_vec);
                for (i, c) in cells.iter().enumerate() {
                    // Later cells see the sequence in processing order already.
                    let back = backwards && i == 0;
                    let (seq, st) = c.run(
                        layer,
                        &cur,
                        (b, t, dim),
                        m_owned.as_deref(),
                        back,
                        inits[i].take(),
                    )?;
                    if back {
                        // Outputs are in processing order: reverse the mask to match.
                        if let Some(m) = m_owned.as_mut() {
                            for row in m.chunks_exact_mut(t) {
                                row.reverse();
                            }
                        }
                    }
                    cur = seq;
                    dim = c.units;
                    all_states.push(st);
                }
                let states = all_states.into_iter().rev().flatten().collect();
                Ok((cur, states, vec![dim]))
            }
        }
    }
}

fn check_states(layer: &str, states: &[Vec<f32>], n: usize, len: usize) -> Result<()> {
    if states.len() != n || states.iter().any(|s| s.len() != len) {
        return Err(input_err(
            layer,
            format!(
                "expected {n} initial state tensors of {len} values each, got sizes {:?}",
                states.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    Ok(())
}

fn seq_dims(layer: &str, shape: &[usize]) -> Result<(usize, usize, usize)> {
    match shape {
        [b, t, d] => Ok((*b, *t, *d)),
        _ => Err(input_err(
            layer,
            format!("expects 3-D input [batch, time, features], got {shape:?}"),
        )),
    }
}

// ---------------------------------------------------------------------------
// RNN layers
// ---------------------------------------------------------------------------

/// A recurrent layer (`SimpleRNN`, `LSTM`, `GRU`, `ConvLSTM2D`, generic
/// `RNN`).
///
/// ```
/// use tfjs_layers::{Layer, LayerRegistry, Tensor};
/// let reg = LayerRegistry::with_builtins();
/// let cfg = serde_json::json!({"name": "rnn", "units": 1, "activation": "linear"});
/// let ctx = tfjs_layers::BuildContext { registry: &reg };
/// let mut layer = reg
///     .build("SimpleRNN", &tfjs_layers::config::ConfigReader::new("rnn", cfg.as_object().unwrap()), &ctx)
///     .unwrap();
/// layer.build(&[vec![None, Some(3), Some(1)]]).unwrap();
/// layer.set_weight(0, Tensor::from_f32(vec![1, 1], vec![1.0]).unwrap()).unwrap(); // kernel
/// layer.set_weight(1, Tensor::from_f32(vec![1, 1], vec![0.5]).unwrap()).unwrap(); // recurrent
/// let x = Tensor::from_f32(vec![1, 3, 1], vec![1.0, 2.0, 3.0]).unwrap();
/// let y = layer.call(&[x], &[None]).unwrap();
/// // h1 = 1, h2 = 2 + 0.5, h3 = 3 + 1.25
/// assert_eq!(y[0].as_f32().unwrap(), &[4.25]);
/// ```
#[derive(Debug)]
pub struct Rnn {
    class: &'static str,
    base: Base,
    stack: Stack,
    return_sequences: bool,
    return_state: bool,
    go_backwards: bool,
    stateful: bool,
    unroll: bool,
    /// Keras `zero_output_for_mask` (not a TensorFlow.js field; not written).
    pub(crate) zero_output_for_mask: bool,
    num_constants: Option<Value>,
}

impl Rnn {
    fn from_builtin(class: &'static str, c: &ConfigReader<'_>) -> Result<Rnn> {
        let stack = if class == "ConvLSTM2D" {
            Stack::Conv(ConvCell::from_config(c)?)
        } else {
            Stack::Single(Cell::from_config(class, c)?)
        };
        Self::with_stack(class, c, stack)
    }

    fn from_generic(c: &ConfigReader<'_>, _ctx: &BuildContext<'_>) -> Result<Rnn> {
        let cell = c.required("cell")?;
        let stack = parse_cell_value(cell, c.layer)?;
        Self::with_stack("RNN", c, stack)
    }

    fn with_stack(class: &'static str, c: &ConfigReader<'_>, mut stack: Stack) -> Result<Rnn> {
        let base = Base::read(c)?;
        if let Some(d) = base
            .batch_input_shape
            .as_ref()
            .and_then(|s| s.last().copied().flatten())
        {
            if !matches!(stack, Stack::Conv(_)) {
                stack.build(d)?;
            }
        }
        Ok(Rnn {
            class,
            base,
            stack,
            return_sequences: c.bool_or("return_sequences", false)?,
            return_state: c.bool_or("return_state", false)?,
            go_backwards: c.bool_or("go_backwards", false)?,
            stateful: c.bool_or("stateful", false)?,
            unroll: c.bool_or("unroll", false)?,
            zero_output_for_mask: c.bool_or("zero_output_for_mask", false)?,
            num_constants: c.get("num_constants").cloned(),
        })
    }

    /// Whether the layer returns the whole sequence.
    pub fn return_sequences(&self) -> bool {
        self.return_sequences
    }
}

impl Layer for Rnn {
    fn class_name(&self) -> &str {
        self.class
    }

    fn name(&self) -> &str {
        &self.base.name
    }

    fn config(&self) -> Map<String, Value> {
        // TensorFlow.js: {...cellConfig, ...baseConfig, ...rnnConfig}.
        let mut m = self.stack.config();
        self.base.write(&mut m);
        m.insert("return_sequences".into(), self.return_sequences.into());
        m.insert("return_state".into(), self.return_state.into());
        m.insert("go_backwards".into(), self.go_backwards.into());
        m.insert("stateful".into(), self.stateful.into());
        m.insert("unroll".into(), self.unroll.into());
        if let Some(n) = &self.num_constants {
            m.insert("num_constants".into(), n.clone());
        }
        if self.class == "RNN" {
            m.insert(
                "cell".into(),
                json!({"class_name": self.stack.class_name(), "config": self.stack.config()}),
            );
        }
        m
    }

    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = first_shape(&self.base.name, input_shapes)?;
        let feat = if let Stack::Conv(c) = &self.stack {
            if c.channels_first {
                s.get(2).copied().flatten()
            } else {
                s.last().copied().flatten()
            }
        } else {
            s.last().copied().flatten()
        };
        let feat = feat.ok_or_else(|| {
            input_err(
                &self.base.name,
                format!("the feature dimension of input shape {s:?} must be known"),
            )
        })?;
        self.stack.build(feat)
    }

    fn weights(&self) -> Vec<LayerWeight> {
        self.stack.weights(self.base.trainable)
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        self.stack.weight_values()
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.stack.set_weight(&self.base.name, index, value)
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = first_shape(&self.base.name, inputs)?;
        if s.len() < 3 {
            return Err(input_err(
                &self.base.name,
                format!("expects input [batch, time, ...], got shape {s:?}"),
            ));
        }
        let step_out = self.stack.step_output_shape(&self.base.name, &s[2..])?;
        let mut out = Vec::new();
        let mut first = vec![s[0]];
        if self.return_sequences {
            first.push(s[1]);
        }
        first.extend(step_out.iter().copied());
        out.push(first);
        if self.return_state {
            for _ in self.stack.state_sizes() {
                let mut st = vec![s[0]];
                st.extend(step_out.iter().copied());
                out.push(st);
            }
        }
        Ok(out)
    }

    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let name = &self.base.name;
        let x = first_input(name, inputs)?;
        if x.rank() < 3 {
            return Err(input_err(
                name,
                format!(
                    "expects input [batch, time, ...], got shape {:?}",
                    x.shape()
                ),
            ));
        }
        let (b, t) = (x.shape()[0], x.shape()[1]);
        let mask = seq_mask(name, masks, 0, b, t)?;
        let n_states = self.stack.state_sizes().len();
        let init = if inputs.len() > 1 {
            let given = &inputs[1..];
            if given.len() != n_states {
                return Err(input_err(
                    name,
                    format!(
                        "got {} initial state tensors, the layer has {n_states} states",
                        given.len()
                    ),
                ));
            }
            Some(
                given
                    .iter()
                    .map(|s| f32s(s).into_owned())
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        let (mut seq, states, step_shape) =
            self.stack
                .run(name, x, mask.as_deref(), self.go_backwards, init)?;
        let per: usize = step_shape.iter().product();
        // The last output: the final value of the first state (all cells
        // output their `h`), or zeros when Keras zeroes masked outputs and
        // the last processed step was masked.
        let mut last = states[0].clone();
        if self.zero_output_for_mask {
            if let Some(m) = mask.as_deref() {
                for bi in 0..b {
                    let last_t = if self.go_backwards {
                        0
                    } else {
                        t.saturating_sub(1)
                    };
                    if t > 0 && m[bi * t + last_t] == 0.0 {
                        last[bi * per..(bi + 1) * per].fill(0.0);
                    }
                    for step in 0..t {
                        let ti = if self.go_backwards {
                            t - 1 - step
                        } else {
                            step
                        };
                        if m[bi * t + ti] == 0.0 {
                            seq[(bi * t + step) * per..][..per].fill(0.0);
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        if self.return_sequences {
            let mut shape = vec![b, t];
            shape.extend(&step_shape);
            out.push(Tensor::from_f32(shape, seq)?);
        } else {
            let mut shape = vec![b];
            shape.extend(&step_shape);
            out.push(Tensor::from_f32(shape, last)?);
        }
        if self.return_state {
            for s in states {
                let mut shape = vec![b];
                shape.extend(&step_shape);
                out.push(Tensor::from_f32(shape, s)?);
            }
        }
        Ok(out)
    }

    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let seq_mask = if self.return_sequences {
            masks.first().cloned().flatten()
        } else {
            None
        };
        let mut out = vec![seq_mask];
        if self.return_state {
            out.extend(std::iter::repeat_n(None, self.stack.state_sizes().len()));
        }
        Ok(out)
    }
}

/// A cell used as a layer on its own (`SimpleRNNCell`, `LSTMCell`,
/// `GRUCell`, `ConvLSTM2DCell`, `StackedRNNCells`): one step. Inputs are
/// `[x, states...]` (missing states start at zero); outputs are
/// `[output, new_states...]`.
#[derive(Debug)]
pub struct CellLayer {
    stack: Stack,
}

impl Layer for CellLayer {
    fn class_name(&self) -> &str {
        self.stack.class_name()
    }

    fn name(&self) -> &str {
        &self.stack.base().name
    }

    fn config(&self) -> Map<String, Value> {
        self.stack.config()
    }

    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let s = first_shape(self.name(), input_shapes)?;
        let feat = s.last().copied().flatten().ok_or_else(|| {
            input_err(
                self.name(),
                "the feature dimension of the input must be known",
            )
        })?;
        self.stack.build(feat)
    }

    fn weights(&self) -> Vec<LayerWeight> {
        self.stack.weights(self.stack.base().trainable)
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        self.stack.weight_values()
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        let name = self.stack.base().name.clone();
        self.stack.set_weight(&name, index, value)
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let s = first_shape(self.name(), inputs)?;
        if s.is_empty() {
            return Err(input_err(self.name(), "expects a batched input"));
        }
        let step = self.stack.step_output_shape(self.name(), &s[1..])?;
        let one: Shape = std::iter::once(s[0]).chain(step).collect();
        Ok(std::iter::repeat_n(one, 1 + self.stack.state_sizes().len()).collect())
    }

    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = first_input(self.name(), inputs)?;
        // A single step: insert a time axis of length 1.
        let mut shape = x.shape().to_vec();
        if shape.is_empty() {
            return Err(input_err(self.name(), "expects a batched input"));
        }
        shape.insert(1, 1);
        let xs = x.clone().reshape(shape)?;
        let init =
            (inputs.len() > 1).then(|| inputs[1..].iter().map(|s| f32s(s).into_owned()).collect());
        let (seq, states, step_shape) = self.stack.run(self.name(), &xs, None, false, init)?;
        let b = x.shape()[0];
        let mk = |v: Vec<f32>| {
            let mut s = vec![b];
            s.extend(&step_shape);
            Tensor::from_f32(s, v)
        };
        let mut out = vec![mk(seq)?];
        for s in states {
            out.push(mk(s)?);
        }
        Ok(out)
    }
}
