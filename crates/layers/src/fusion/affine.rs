//! A `BatchNormalization` of the last axis that no convolution absorbs
//! (DenseNet's and ResNet v2's pre-activations, a normalization after a
//! concatenation or a `Dense`), with the ReLU / ReLU6 / swish after it, as
//! one step: `act(x * scale + shift)` in one pass
//! ([`tfjs_kernels::channel_affine`]), into a pooled buffer (or in place when
//! the step is the input's last reader) instead of a zeroed new output, a
//! pass for the normalization and another for the activation. Each value is
//! rounded as the layers round it, so the numbers do not change.

use super::{activation_layer, StepIo};
use crate::layers::normalization::BatchNormalization;
use crate::{Layer, Tensor, TensorData};
use rayon::prelude::*;
use tfjs_kernels::FusedActivation;

/// A fused `BatchNormalization` (+ activation).
#[derive(Debug)]
pub(crate) struct AffineAct {
    /// Exec positions: the normalization (then the activation).
    pub chain: Vec<usize>,
    input: usize,
    output: usize,
    rank: usize,
    scale: Vec<f32>,
    shift: Vec<f32>,
    act: FusedActivation,
}

/// Values from which the pass is split over the threads (as the layer's own).
const PARALLEL_VALUES: usize = 1 << 16;

impl AffineAct {
    /// The step for `bn` at position `pos` (reading tensor `input`, writing
    /// `output`), when it normalizes the last axis.
    pub(crate) fn new(
        bn: &dyn Layer,
        pos: usize,
        input: usize,
        output: usize,
    ) -> Option<AffineAct> {
        let bn = bn.as_any()?.downcast_ref::<BatchNormalization>()?;
        let (scale, shift, rank) = bn.last_axis_affine()?;
        Some(AffineAct {
            chain: vec![pos],
            input,
            output,
            rank,
            scale,
            shift,
            act: FusedActivation::Linear,
        })
    }

    /// Take in the activation layer `a` at position `pos` (the only reader
    /// of this step's output), when a kernel fuses its function.
    pub(crate) fn absorb_activation(&mut self, a: &dyn Layer, pos: usize, output: usize) -> bool {
        match activation_layer(a) {
            Some(act) => {
                self.act = act;
                self.output = output;
                self.chain.push(pos);
                true
            }
            None => false,
        }
    }

    /// Run the step (see [`super::Step::run_fused`]).
    pub(super) fn run(&self, io: &mut StepIo<'_>) -> bool {
        let c = self.scale.len();
        let fits = io.slots[self.input].as_ref().is_some_and(|x| {
            x.as_f32().is_some() && x.rank() == self.rank && x.shape().last() == Some(&c)
        });
        if !fits || io.mask_slots[self.input].is_some() || c == 0 {
            return false;
        }
        let (scale, shift, act) = (&self.scale[..], &self.shift[..], self.act);
        let rows_per_task = (PARALLEL_VALUES / 4 / c).max(1);
        let last_reader = io.last_use[self.input] == self.chain[0];
        let y = if last_reader {
            // In place: the step is the input's last reader.
            let Some(x) = io.slots[self.input].take() else {
                return false;
            };
            *io.live = io.live.saturating_sub(x.len() as u64 * 4);
            let (shape, TensorData::F32(mut data)) = x.into_parts() else {
                return false;
            };
            let each = |o: &mut [f32]| tfjs_kernels::channel_affine_inplace(scale, shift, act, o);
            if data.len() >= PARALLEL_VALUES {
                data.par_chunks_mut(rows_per_task * c).for_each(each);
            } else {
                each(&mut data);
            }
            io.mask_slots[self.input] = None;
            Tensor::from_f32(shape, data)
        } else {
            let Some(x) = io.slots[self.input].as_ref() else {
                return false;
            };
            let (Some(xd), shape) = (x.as_f32(), x.shape().to_vec()) else {
                return false;
            };
            let mut out = io.pool.take(xd.len());
            let each = |(o, i): (&mut [f32], &[f32])| {
                tfjs_kernels::channel_affine(i, scale, shift, act, o)
            };
            if xd.len() >= PARALLEL_VALUES {
                let block = rows_per_task * c;
                out.par_chunks_mut(block)
                    .zip(xd.par_chunks(block))
                    .for_each(each);
            } else {
                each((&mut out, xd));
            }
            Tensor::from_f32(shape, out)
        };
        let Ok(y) = y else {
            return false;
        };
        io.finish(std::iter::empty(), self.output, y);
        true
    }
}
