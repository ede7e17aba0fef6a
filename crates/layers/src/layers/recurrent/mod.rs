//! Recurrent layers: `SimpleRNN`, `LSTM`, `GRU`, their cells
//! (`SimpleRNNCell`, `LSTMCell`, `GRUCell`), the generic `RNN`,
//! `StackedRNNCells`, `ConvLSTM2D`, `ConvLSTM3D` (and `ConvLSTM1D`, run as a
//! `ConvLSTM2D`) and
//! `ConvLSTM2DCell`, at inference
//! semantics.
//!
//! * Gate blocks in the kernels: LSTM `i, f, c, o`; GRU `z, r, h`.
//! * GRU supports both `reset_after: false` (TensorFlow.js, bias `[3u]`) and
//!   `reset_after: true` (the Keras 2 default, bias `[2, 3u]`: row 0 is the
//!   input bias, row 1 the recurrent bias, which is applied inside the reset
//!   gate). TensorFlow.js itself rejects the latter; we run it as Keras does.
//! * The input projection of all timesteps is one matrix product
//!   ([`tfjs_kernels::dense_packed`], the kernel and its bias packed once,
//!   like the recurrent kernel, [`tfjs_kernels::RecurrentKernel`]); each
//!   step is then one call of the kernels' step function ([`tfjs_kernels::simple_rnn_step`], [`tfjs_kernels::lstm_step`],
//!   [`tfjs_kernels::gru_step`]): the engine owns only sequencing and masks.
//! * Masks (`[batch, time]`, 0/1) follow Keras: at a masked step the states
//!   keep their previous values and the output repeats the previous output
//!   (zeros with Keras' `zero_output_for_mask`, which `Bidirectional` forces
//!   for sequence outputs).
//! * `go_backwards` processes the sequence in reverse; with
//!   `return_sequences` the outputs stay in processing order (as Keras).
//! * `dropout`, `recurrent_dropout`, `unroll` and `stateful` are accepted and
//!   written back but have no effect at inference (states always start at
//!   zero unless initial states are passed as extra inputs). So every
//!   sample runs alone (the layers are per-sample: a large batch runs as
//!   parallel slices).
//! * A stack of cells returns its states in TensorFlow.js's order: the last
//!   cell's states first (`[h2, c2, h1, c1]`).

use super::common::*;
mod cell;
mod conv1d;
mod conv_cell;
mod layer;
mod stack;

use crate::activations::Activation;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, LayerWeight, LayersError, Result, Tensor};
use cell::*;
pub use conv1d::ConvLstm1D;
use conv_cell::*;
pub use layer::{CellLayer, Rnn};
use serde_json::{Map, Value};
use stack::*;

/// Register the recurrent classes.
pub fn register(registry: &mut LayerRegistry) {
    for class in [
        "SimpleRNN",
        "LSTM",
        "GRU",
        "CuDNNLSTM",
        "CuDNNGRU",
        "ConvLSTM2D",
        "ConvLSTM3D",
    ] {
        register_simple(registry, &[class], move |c| {
            boxed_layer(Rnn::from_builtin(class, c))
        });
    }
    register_layer(registry, &["ConvLSTM1D"], ConvLstm1D::from_config);
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

pub(super) fn f32_of(t: &Tensor) -> &[f32] {
    // Weights are always stored as f32 (see `put_weight`).
    t.as_f32().unwrap_or(&[])
}

pub(super) fn check_states(layer: &str, states: &[Vec<f32>], n: usize, len: usize) -> Result<()> {
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

pub(super) fn seq_dims(layer: &str, shape: &[usize]) -> Result<(usize, usize, usize)> {
    match shape {
        [b, t, d] => Ok((*b, *t, *d)),
        _ => Err(input_err(
            layer,
            format!("expects 3-D input [batch, time, features], got {shape:?}"),
        )),
    }
}

/// `activation` (default tanh) and `recurrent_activation` (default hard
/// sigmoid), which every gated cell reads.
/// `glu`, which halves the last axis, is refused: the state would shrink
/// at every step (Keras fails on it when the layer is called).
pub(super) fn gate_activations(c: &ConfigReader<'_>) -> Result<(Activation, Activation)> {
    let read = |key: &str, default: Activation| -> Result<Activation> {
        match activation_or(c, key, default)? {
            Activation::Glu => Err(c.err(
                key,
                "glu halves the last axis, so a recurrent cell's state would not keep its \
                 size (Keras cannot run this layer either)",
            )),
            a => Ok(a),
        }
    };
    Ok((
        read("activation", Activation::Tanh)?,
        read("recurrent_activation", Activation::HardSigmoid)?,
    ))
}

/// A cell's config: the base fields, then its own `fields` in TF.js's order.
pub(super) fn cell_config(base: &Base, fields: &[(String, Value)]) -> Map<String, Value> {
    let mut m = Map::new();
    base.write(&mut m);
    for (k, v) in fields {
        m.insert(k.clone(), v.clone());
    }
    m
}

/// The weights of a recurrent cell in Keras' order: `kernel`,
/// `recurrent_kernel` and, when the cell uses a bias, `bias`.
#[derive(Debug, Clone)]
pub(super) struct CellWeights {
    pub(super) kernel: Tensor,
    pub(super) recurrent_kernel: Tensor,
    pub(super) bias: Tensor,
    /// The kernels packed for the products (`Cell::run`), made on first
    /// use and dropped whenever a weight changes.
    pub(super) packed: PackedCell,
}

/// A cell's input kernel (with its input bias) and recurrent kernel packed
/// for [`tfjs_kernels::dense_packed`] and the step functions. A clone
/// starts empty (packed again from the cloned weights on use).
#[derive(Default)]
pub(super) struct PackedCell(
    pub(super) std::sync::OnceLock<(tfjs_kernels::PackedMatrix, tfjs_kernels::RecurrentKernel)>,
);

impl Clone for PackedCell {
    fn clone(&self) -> Self {
        PackedCell::default()
    }
}

impl std::fmt::Debug for PackedCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "packed"
        } else {
            "not packed"
        })
    }
}

impl CellWeights {
    /// Empty weights, before the input size is known.
    pub(super) fn unallocated() -> Self {
        CellWeights {
            kernel: Tensor::zeros(vec![0]),
            recurrent_kernel: Tensor::zeros(vec![0]),
            bias: Tensor::zeros(vec![0]),
            packed: PackedCell::default(),
        }
    }

    /// Zeroed weights of the given shapes (`bias: None` for a cell without
    /// one); `layer` names the layer in errors.
    pub(super) fn allocate(
        &mut self,
        layer: &str,
        kernel: Vec<usize>,
        recurrent_kernel: Vec<usize>,
        bias: Option<Vec<usize>>,
    ) -> Result<()> {
        self.packed = PackedCell::default();
        self.kernel = alloc_zeros(layer, kernel)?;
        self.recurrent_kernel = alloc_zeros(layer, recurrent_kernel)?;
        self.bias = match bias {
            Some(shape) => alloc_zeros(layer, shape)?,
            None => Tensor::zeros(vec![0]),
        };
        Ok(())
    }

    /// The weights' names (after `prefix`) and shapes.
    pub(super) fn describe(
        &self,
        prefix: &str,
        trainable: bool,
        use_bias: bool,
    ) -> Vec<LayerWeight> {
        let weight = |name: &str, t: &Tensor| LayerWeight {
            name: format!("{prefix}{name}"),
            shape: t.shape().to_vec(),
            trainable,
        };
        let mut w = vec![
            weight("kernel", &self.kernel),
            weight("recurrent_kernel", &self.recurrent_kernel),
        ];
        if use_bias {
            w.push(weight("bias", &self.bias));
        }
        w
    }

    pub(super) fn values(&self, use_bias: bool) -> Vec<&Tensor> {
        let mut v = vec![&self.kernel, &self.recurrent_kernel];
        if use_bias {
            v.push(&self.bias);
        }
        v
    }

    /// Set weight `index` (in [`CellWeights::describe`]'s order).
    pub(super) fn set(
        &mut self,
        layer: &str,
        index: usize,
        value: Tensor,
        use_bias: bool,
    ) -> Result<()> {
        self.packed = PackedCell::default();
        match index {
            0 => put_weight(layer, "kernel", &mut self.kernel, value),
            1 => put_weight(layer, "recurrent_kernel", &mut self.recurrent_kernel, value),
            2 if use_bias => put_weight(layer, "bias", &mut self.bias, value),
            _ => Err(LayersError::config(
                layer,
                format!("layer has no weight #{index}"),
            )),
        }
    }
}
