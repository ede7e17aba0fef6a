//! The recurrent layers (`SimpleRNN`, `LSTM`, `GRU`, `ConvLSTM2D`,
//! `ConvLSTM3D`, `RNN`)
//! and bare cells used as layers.

use super::*;
use crate::config::ConfigReader;
use crate::{BuildContext, Layer, LayerWeight, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

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
/// let ctx = tfjs_layers::BuildContext::new(&reg);
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
    pub(super) class: &'static str,
    pub(super) base: Base,
    pub(super) stack: Stack,
    pub(super) return_sequences: bool,
    pub(super) return_state: bool,
    pub(super) go_backwards: bool,
    pub(super) stateful: bool,
    pub(super) unroll: bool,
    /// Keras `zero_output_for_mask` (not a TensorFlow.js field; written only
    /// when true).
    pub(crate) zero_output_for_mask: bool,
    pub(super) num_constants: Option<Value>,
    /// tf_keras `time_major`: inputs and the returned sequence are
    /// `[time, batch, …]` (states stay `[batch, …]`).
    pub(super) time_major: bool,
    /// Initial state tensors make the call run unmasked (Keras 3; see
    /// [`crate::Dialect::initial_state_drops_mask`]).
    pub(super) initial_state_drops_mask: bool,
}

impl Rnn {
    pub(super) fn from_builtin(class: &'static str, c: &ConfigReader<'_>) -> Result<Rnn> {
        let stack = if let Some(rank) = match class {
            "ConvLSTM2D" => Some(2),
            "ConvLSTM3D" => Some(3),
            _ => None,
        } {
            Stack::Conv(ConvCell::from_config(c, rank)?)
        } else {
            Stack::Single(Cell::from_config(class, c)?)
        };
        Self::with_stack(class, c, stack)
    }

    pub(super) fn from_generic(c: &ConfigReader<'_>, _ctx: &BuildContext<'_>) -> Result<Rnn> {
        let cell = c.required("cell")?;
        let stack = parse_cell_value(cell, c)?;
        Self::with_stack("RNN", c, stack)
    }

    pub(super) fn with_stack(
        class: &'static str,
        c: &ConfigReader<'_>,
        mut stack: Stack,
    ) -> Result<Rnn> {
        let time_major = c.bool_or("time_major", false)?;
        if time_major && matches!(stack, Stack::Conv(_)) {
            return Err(c.err("time_major", "true is not supported for ConvLSTM layers"));
        }
        let base = Base::parse(c)?;
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
            time_major,
            initial_state_drops_mask: c.dialect.initial_state_drops_mask(),
        })
    }

    /// Whether the layer returns the whole sequence.
    pub fn return_sequences(&self) -> bool {
        self.return_sequences
    }
}

impl Layer for Rnn {
    layer_common!(names self.class);
    // Each sample's sequence runs through the cells alone (`stateful` has
    // no effect here, see the module docs).
    layer_flags!(per_sample);

    fn config(&self) -> Map<String, Value> {
        // TensorFlow.js: {...cellConfig, ...baseConfig, ...rnnConfig}.
        let mut m = self.stack.config();
        self.base.write(&mut m);
        m.insert("return_sequences".into(), self.return_sequences.into());
        m.insert("return_state".into(), self.return_state.into());
        m.insert("go_backwards".into(), self.go_backwards.into());
        m.insert("stateful".into(), self.stateful.into());
        if self.class.starts_with("CuDNN") {
            // Keras's cuDNN layers take `time_major` and no `unroll`.
            m.insert("time_major".into(), self.time_major.into());
            return m;
        }
        m.insert("unroll".into(), self.unroll.into());
        if let Some(n) = &self.num_constants {
            m.insert("num_constants".into(), n.clone());
        }
        if self.time_major {
            m.insert("time_major".into(), true.into());
        }
        if self.zero_output_for_mask {
            // Keras's field, which TensorFlow.js lacks: written when set (the
            // rebuild refuses it in a model with masks, `rewrite::tfjs_limits`).
            m.insert("zero_output_for_mask".into(), true.into());
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

    fn keras3_weight_keys(&self) -> Option<Vec<String>> {
        self.stack.keras3_weight_keys()
    }

    fn keras2_weight_names(&self) -> Option<Vec<String>> {
        self.stack.keras2_weight_names()
    }

    fn weight_values(&self) -> Vec<&Tensor> {
        self.stack.weight_values()
    }

    fn set_weight(&mut self, index: usize, value: Tensor) -> Result<()> {
        self.stack.set_weight(&self.base.name, index, value)
    }

    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        if !self.time_major {
            return self.batch_major_shapes(inputs);
        }
        let mut swapped = inputs.to_vec();
        if let Some(s) = swapped.first_mut().filter(|s| s.len() >= 2) {
            s.swap(0, 1);
        }
        let mut out = self.batch_major_shapes(&swapped)?;
        if self.return_sequences {
            out[0].swap(0, 1);
        }
        Ok(out)
    }

    fn call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        if !self.time_major {
            return self.batch_major_call(inputs, masks);
        }
        // `[time, batch, …]` in and, for the sequence, out; a mask would
        // be `[time, batch]` too (Keras masks are batch-major): refused.
        if masks.iter().any(Option::is_some) {
            return Err(input_err(
                &self.base.name,
                "a Keras mask on a time_major recurrent layer is not supported",
            ));
        }
        let mut swapped = inputs.to_vec();
        if let Some(x) = swapped.first_mut() {
            *x = swap_leading_axes(&self.base.name, x)?;
        }
        let mut out = self.batch_major_call(&swapped, masks)?;
        if self.return_sequences {
            out[0] = swap_leading_axes(&self.base.name, &out[0])?;
        }
        Ok(out)
    }

    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        let mut out = vec![sequence_mask(self.return_sequences, masks)];
        if self.return_state {
            out.extend(std::iter::repeat_n(None, self.stack.state_sizes().len()));
        }
        Ok(out)
    }
}

/// `x` with its first two axes exchanged (`[time, batch, …]` ↔ `[batch,
/// time, …]`).
fn swap_leading_axes(layer: &str, x: &Tensor) -> Result<Tensor> {
    let s = x.shape();
    if s.len() < 2 {
        return Err(input_err(
            layer,
            format!("expects input [time, batch, ...], got shape {s:?}"),
        ));
    }
    // The kernels' batch-major ↔ time-major swap, either way round.
    let inner: usize = s[2..].iter().product();
    let mut out = vec![0f32; x.len()];
    tfjs_kernels::to_time_major(&f32s(x), s[0], s[1], inner, &mut out);
    let mut shape = s.to_vec();
    shape.swap(0, 1);
    Tensor::from_f32(shape, out)
}

impl Rnn {
    /// The output shapes for batch-major inputs.
    fn batch_major_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
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
            for size in self.stack.state_sizes() {
                let mut st = vec![s[0]];
                match self.stack {
                    Stack::Conv(_) => st.extend(step_out.iter().copied()),
                    _ => st.push(Some(size)),
                }
                out.push(st);
            }
        }
        Ok(out)
    }

    /// The layer on batch-major inputs.
    fn batch_major_call(&self, inputs: &[Tensor], masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
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
        let mask = if self.initial_state_drops_mask && inputs.len() > 1 {
            None
        } else {
            seq_mask(name, masks, 0, b, t)?
        };
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
        // The last output: the final value of the last cell's first state
        // (all cells output their `h`), or zeros when Keras zeroes masked
        // outputs and the last processed step was masked.
        let mut last = states[self.stack.output_state()].clone();
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
            // A cell stack's states are each cell's size; a ConvLSTM's are
            // the output's shape.
            let sizes = self.stack.state_sizes();
            for (s, size) in states.into_iter().zip(sizes) {
                let mut shape = vec![b];
                match self.stack {
                    Stack::Conv(_) => shape.extend(&step_shape),
                    _ => shape.push(size),
                }
                out.push(Tensor::from_f32(shape, s)?);
            }
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
    pub(super) stack: Stack,
}

impl Layer for CellLayer {
    layer_flags!(per_sample);

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
