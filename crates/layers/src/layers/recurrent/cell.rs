//! SimpleRNN / LSTM / GRU cells: config, weights, and the time loop.

use super::*;
use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{LayerWeight, LayersError, Result, Tensor};
use serde_json::{json, Map, Value};
use tfjs_kernels::{
    add_bias, dense_packed, gru_step, lstm_step, simple_rnn_step, to_time_major, FusedActivation,
    GruResetMode, PackedMatrix, RecurrentKernel,
};

// ---------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------

thread_local! {
    /// [`Cell::run`]'s time-major input and projection buffers, kept for the
    /// thread's next run. Taken out while a run uses them (a run nested in
    /// it, on the same thread while it waits for a join, starts empty).
    static RUN_BUFFERS: std::cell::Cell<(Vec<f32>, Vec<f32>)> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

/// The most values [`RUN_BUFFERS`] keeps per thread (16 MiB); longer
/// sequences allocate theirs each run.
const RUN_BUFFERS_KEPT: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Simple,
    Lstm,
    Gru,
}

/// A SimpleRNN / LSTM / GRU cell with its weights.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    pub(super) class: &'static str,
    pub(super) base: Base,
    pub(super) kind: Kind,
    pub(super) units: usize,
    pub(super) activation: Activation,
    pub(super) recurrent_activation: Activation,
    pub(super) use_bias: bool,
    pub(super) reset_after: bool,
    /// tf_keras's `CuDNNLSTM` / `CuDNNGRU` (TF 1.x models trained on a
    /// GPU): fixed `tanh` / `sigmoid`, and a flat bias holding cuDNN's
    /// input biases, then its recurrent ones (`[2 × gates × units]`); an
    /// LSTM adds both, a GRU is one with `reset_after`.
    pub(super) cudnn: bool,
    /// Config fields after the base fields, in TensorFlow.js's order.
    pub(super) fields: Vec<(String, Value)>,
    pub(super) input_dim: Option<usize>,
    pub(super) params: CellWeights,
}

pub(super) fn cell_kind(class: &str) -> Option<(Kind, &'static str)> {
    Some(match class {
        "SimpleRNN" | "SimpleRNNCell" => (Kind::Simple, "SimpleRNNCell"),
        "LSTM" | "LSTMCell" => (Kind::Lstm, "LSTMCell"),
        "GRU" | "GRUCell" | "CuDNNGRU" => (Kind::Gru, "GRUCell"),
        "CuDNNLSTM" => (Kind::Lstm, "LSTMCell"),
        _ => return None,
    })
}

impl Cell {
    pub(super) fn from_config(class: &str, c: &ConfigReader<'_>) -> Result<Cell> {
        let (kind, cell_class) = cell_kind(class)
            .ok_or_else(|| LayersError::config(c.layer, format!("`{class}` is not a cell")))?;
        let base = Base::parse(c)?;
        let units = c.usize_req("units")?;
        if units == 0 {
            return Err(c.err("units", "must be positive"));
        }
        let cudnn = class.starts_with("CuDNN");
        let (act, ract) = if cudnn {
            (Activation::Tanh, Activation::Sigmoid)
        } else {
            gate_activations(c)?
        };
        let use_bias = cudnn || c.bool_or("use_bias", true)?;
        let reset_after = kind == Kind::Gru && (cudnn || c.bool_or("reset_after", false)?);
        let mut f: Vec<(String, Value)> = Vec::new();
        let mut push = |k: &str, v: Value| f.push((k.to_string(), v));
        push("units", Value::from(units as u64));
        if !cudnn {
            push("activation", act.to_json());
            if kind != Kind::Simple {
                push("recurrent_activation", ract.to_json());
            }
            push("use_bias", Value::Bool(use_bias));
        }
        weight_and_dropout_fields(c, kind == Kind::Lstm, &mut push)?;
        if cudnn {
            // The cuDNN layers have no dropout, implementation or reset_after.
            f.retain(|(k, _)| !k.ends_with("dropout"));
        } else {
            if kind != Kind::Simple {
                f.push(("implementation".into(), passthrough(c, "implementation")));
            }
            if kind == Kind::Gru {
                f.push(("reset_after".into(), Value::Bool(reset_after)));
            }
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
            cudnn,
            fields: f,
            input_dim: None,
            params: CellWeights::unallocated(),
        };
        cell.allocate(input_dim.unwrap_or(0))?;
        cell.input_dim = input_dim;
        Ok(cell)
    }

    pub(super) fn gates(&self) -> usize {
        match self.kind {
            Kind::Simple => 1,
            Kind::Lstm => 4,
            Kind::Gru => 3,
        }
    }

    pub(super) fn bias_shape(&self) -> Vec<usize> {
        let gu = self.gates() * self.units;
        if self.cudnn {
            vec![2 * gu]
        } else if self.reset_after {
            vec![2, gu]
        } else {
            vec![gu]
        }
    }

    pub(super) fn allocate(&mut self, input_dim: usize) -> Result<()> {
        let gu = self
            .gates()
            .checked_mul(self.units)
            .ok_or_else(|| LayersError::config(&self.base.name, "units is too large"))?;
        let bias = self.use_bias.then(|| self.bias_shape());
        self.params.allocate(
            &self.base.name,
            vec![input_dim, gu],
            vec![self.units, gu],
            bias,
        )?;
        self.input_dim = Some(input_dim);
        Ok(())
    }

    pub(super) fn build(&mut self, input_dim: usize) -> Result<()> {
        if self.input_dim != Some(input_dim) {
            self.allocate(input_dim)?;
        }
        Ok(())
    }

    pub(super) fn state_sizes(&self) -> Vec<usize> {
        match self.kind {
            Kind::Lstm => vec![self.units, self.units],
            _ => vec![self.units],
        }
    }

    pub(super) fn config(&self) -> Map<String, Value> {
        cell_config(&self.base, &self.fields)
    }

    pub(super) fn weights(&self, prefix: &str, trainable: bool) -> Vec<LayerWeight> {
        self.params.describe(prefix, trainable, self.use_bias)
    }

    pub(super) fn weight_values(&self) -> Vec<&Tensor> {
        self.params.values(self.use_bias)
    }

    pub(super) fn num_weights(&self) -> usize {
        2 + usize::from(self.use_bias)
    }

    pub(super) fn set_weight(&mut self, layer: &str, index: usize, value: Tensor) -> Result<()> {
        // The kernel fixes the input size if the layer was not built.
        if index == 0 && (self.input_dim.is_none() || self.input_dim == Some(0)) {
            if let [d, _] = value.shape() {
                self.allocate(*d)?;
            }
        }
        self.params.set(layer, index, value, self.use_bias)
    }

    /// The input kernel with its input bias, and the recurrent kernel (with
    /// a GRU `reset_after`'s recurrent bias), packed on first use and kept
    /// until a weight changes. `d`: the input features (the kernel's rows).
    fn packed(&self, d: usize) -> (&PackedMatrix, &RecurrentKernel) {
        let (u, gu) = (self.units, self.gates() * self.units);
        let (kernel, rk) = self.params.packed.0.get_or_init(|| {
            let bias = f32_of(&self.params.bias);
            let use_bias = self.use_bias && bias.len() >= gu;
            let input_bias = use_bias.then(|| &bias[..gu]);
            let kernel = PackedMatrix::new(f32_of(&self.params.kernel), d, gu, input_bias);
            let rk = f32_of(&self.params.recurrent_kernel);
            let rk = match self.kind {
                Kind::Gru if !self.reset_after => RecurrentKernel::gru_reset_before(rk, u),
                _ => {
                    let rec_bias = bias
                        .get(gu..2 * gu)
                        .filter(|_| self.reset_after && use_bias);
                    RecurrentKernel::new(rk, u, self.gates(), rec_bias)
                }
            };
            (kernel, rk)
        });
        (kernel, rk)
    }

    /// Run the cell over a `[b, t, d]` sequence. Returns the per-step outputs
    /// `[b, t, units]` in processing order and the final states.
    pub(super) fn run(
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
        if self.input_dim != Some(d) || self.params.kernel.shape() != [d, gu] {
            return Err(input_err(
                layer,
                format!(
                    "input has {d} features per timestep but the kernel is {:?}",
                    self.params.kernel.shape()
                ),
            ));
        }
        debug_assert_eq!(x.len(), b * t * d);
        let (kernel, rk) = self.packed(d);
        // The projection of every timestep at once, time-major (the step
        // functions take one timestep's `[b, gates * units]`): the input is
        // reordered, its rows projected in that order.
        // Both buffers come from this thread's previous run (every value is
        // written before it is read): zeroing fresh ones cost 4% of a BiLSTM.
        let mut x_tm_buf = RUN_BUFFERS.with(|c| c.take());
        let x_tm: &[f32] = if b == 1 || t == 1 {
            x
        } else {
            x_tm_buf.0.resize(b * t * d, 0.0);
            to_time_major(x, b, t, d, &mut x_tm_buf.0[..b * t * d]);
            &x_tm_buf.0[..b * t * d]
        };
        let xp_tm = &mut x_tm_buf.1;
        xp_tm.resize(b * t * gu, 0.0);
        let xp_tm = &mut xp_tm[..b * t * gu];
        dense_packed(x_tm, b * t, kernel, FusedActivation::Linear, xp_tm);
        if let Some(second) = f32_of(&self.params.bias)
            .get(gu..2 * gu)
            .filter(|_| self.use_bias && self.cudnn && self.kind == Kind::Lstm)
        {
            // cuDNN's recurrent input bias, after the first as before.
            add_bias(xp_tm, second);
        }
        let gru_mode = if self.reset_after {
            GruResetMode::After
        } else {
            GruResetMode::Before
        };
        let n_states = self.state_sizes().len();
        let mut states = match init {
            Some(s) => s,
            None => vec![vec![0f32; b * u]; n_states],
        };
        check_states(layer, &states, n_states, b * u)?;
        let (act, ract) = (self.activation, self.recurrent_activation);
        let act_fn = |s: &mut [f32]| act.apply(s, u);
        let ract_fn = |s: &mut [f32]| ract.apply(s, u);
        let mut scratch = Vec::new();
        let mut seq = vec![0f32; b * t * u];
        let mut new_h = vec![0f32; b * u];
        let mut new_c = vec![0f32; if self.kind == Kind::Lstm { b * u } else { 0 }];
        for step in 0..t {
            let ti = if backwards { t - 1 - step } else { step };
            let xpt = &xp_tm[ti * b * gu..][..b * gu];
            // Without a mask every sample takes the new state: the step runs
            // on the states themselves. With one, on copies, kept per sample.
            let (h, c) = match (mask, &mut states[..]) {
                (None, [h, rest @ ..]) => (h, rest.first_mut()),
                _ => {
                    new_h.copy_from_slice(&states[0]);
                    if self.kind == Kind::Lstm {
                        new_c.copy_from_slice(&states[1]);
                    }
                    (&mut new_h, Some(&mut new_c))
                }
            };
            match (self.kind, c) {
                (Kind::Simple, _) => {
                    simple_rnn_step(xpt, rk, h, b, u, &act_fn, &mut scratch);
                }
                (Kind::Lstm, Some(c)) => {
                    lstm_step(xpt, rk, h, c, b, u, &act_fn, &ract_fn, &mut scratch);
                }
                // (`check_states` has checked the cell's two states.)
                (Kind::Lstm, None) => return Err(input_err(layer, "an LSTM needs two states")),
                (Kind::Gru, _) => {
                    gru_step(xpt, rk, h, b, u, gru_mode, &act_fn, &ract_fn, &mut scratch)
                }
            }
            for bi in 0..b {
                let r = bi * u..(bi + 1) * u;
                if mask.is_some_and(|m| m[bi * t + ti] != 0.0) {
                    states[0][r.clone()].copy_from_slice(&new_h[r.clone()]);
                    if self.kind == Kind::Lstm {
                        states[1][r.clone()].copy_from_slice(&new_c[r.clone()]);
                    }
                }
                seq[(bi * t + step) * u..][..u].copy_from_slice(&states[0][r]);
            }
        }
        if x_tm_buf.0.capacity() + x_tm_buf.1.capacity() <= RUN_BUFFERS_KEPT {
            RUN_BUFFERS.with(|c| c.replace(x_tm_buf));
        }
        Ok((seq, states))
    }
}

/// Per-step outputs, final states and output rows × cols of a ConvLSTM2D run.
pub(super) type ConvRun = (Vec<f32>, Vec<Vec<f32>>, Vec<usize>);

/// Per-step outputs, final states and per-step output shape of a stack run.
pub(super) type StackRun = (Vec<f32>, Vec<Vec<f32>>, Vec<usize>);

/// The fields after the activations that every recurrent cell writes, in
/// TF.js's order: initializers (`unit_forget_bias` after them for LSTM
/// cells), regularizers, constraints, dropouts.
pub(super) fn weight_and_dropout_fields(
    c: &ConfigReader<'_>,
    lstm: bool,
    push: &mut impl FnMut(&str, Value),
) -> Result<()> {
    push(
        "kernel_initializer",
        initializer(c, "kernel_initializer", glorot_normal_default),
    );
    push(
        "recurrent_initializer",
        initializer(
            c,
            "recurrent_initializer",
            || json!({"class_name": "Orthogonal", "config": {"gain": 1, "seed": null}}),
        ),
    );
    push(
        "bias_initializer",
        initializer(c, "bias_initializer", zeros_init),
    );
    if lstm {
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
    Ok(())
}
