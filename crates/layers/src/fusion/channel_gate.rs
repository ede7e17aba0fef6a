//! A squeeze-and-excite gate, `Multiply([x, s])` with `s` one value per
//! channel of each sample (`[batch, 1, …, 1, channels]`: EfficientNet's and
//! MobileNetV3's blocks), as one step: `x` scaled in place when the gate is
//! its last reader (else into a pooled buffer), per sample
//! ([`tfjs_kernels::channel_scale`]), instead of the layer's broadcasting
//! product into a new zeroed output. The products are the layer's.

use super::{sum_or_product, StepIo};
use crate::model::{Model, ModelLayer};
use crate::{Tensor, TensorData};
use rayon::prelude::*;

/// A fused channel gate.
#[derive(Debug)]
pub(crate) struct ChannelGate {
    /// Exec positions: the product.
    pub chain: Vec<usize>,
    inputs: [usize; 2],
    output: usize,
}

/// Values from which the samples are scaled in parallel.
const PARALLEL_VALUES: usize = 1 << 16;

impl ChannelGate {
    /// The step for the node at `pos` when it is a product of two tensors
    /// (which of them is the gate is seen at run time, from the shapes).
    /// `inputs`: the call's inputs in the plan ([`super::Repeats`]).
    pub(crate) fn new(model: &Model, pos: usize, inputs: &[usize]) -> Option<ChannelGate> {
        let (l, c) = model.exec[pos];
        let call = &model.calls[l][c];
        let (ModelLayer::Layer(layer), &[a, b], &[o]) =
            (&model.layers[l], inputs, call.outputs.as_slice())
        else {
            return None;
        };
        (a != b && sum_or_product(layer.as_ref()) == Some(false)).then(|| ChannelGate {
            chain: vec![pos],
            inputs: [a, b],
            output: o,
        })
    }

    /// `(x, s)`: the tensor and its per-sample, per-channel gate.
    fn operands(&self, io: &StepIo<'_>) -> Option<(usize, usize)> {
        let [a, b] = self.inputs;
        let (ta, tb) = (io.slots[a].as_ref()?, io.slots[b].as_ref()?);
        let gate = |x: &Tensor, s: &Tensor| {
            let (xs, ss) = (x.shape(), s.shape());
            let r = xs.len();
            r >= 2
                && ss.len() == r
                && ss[0] == xs[0]
                && ss[r - 1] == xs[r - 1]
                && xs[r - 1] > 0
                && ss[1..r - 1].iter().all(|&d| d == 1)
                && x.as_f32().is_some()
                && s.as_f32().is_some()
        };
        if gate(ta, tb) {
            Some((a, b))
        } else if gate(tb, ta) {
            Some((b, a))
        } else {
            None
        }
    }

    /// Run the step (see [`super::Step::run_fused`]).
    pub(super) fn run(&self, io: &mut StepIo<'_>) -> bool {
        let Some((x, s)) = self.operands(io) else {
            return false;
        };
        if io.mask_slots[x].is_some() || io.mask_slots[s].is_some() {
            return false;
        }
        let per = |t: &Tensor| t.len() / t.shape()[0].max(1);
        let here = self.chain[0];
        let y = if io.last_use[x] == here {
            // In place: the gate is the tensor's last reader.
            let Some(t) = io.slots[x].take() else {
                return false;
            };
            *io.live = io.live.saturating_sub(t.len() as u64 * 4);
            io.mask_slots[x] = None;
            let n = per(&t).max(1);
            let (shape, TensorData::F32(mut data)) = t.into_parts() else {
                return false;
            };
            let Some(g) = io.slots[s].as_ref() else {
                return false;
            };
            let (Some(gates), c) = (g.as_f32(), per(g).max(1)) else {
                return false;
            };
            let each = |(o, g): (&mut [f32], &[f32])| tfjs_kernels::channel_scale_inplace(g, o);
            if data.len() >= PARALLEL_VALUES {
                data.par_chunks_mut(n)
                    .zip(gates.par_chunks(c))
                    .for_each(each);
            } else {
                data.chunks_mut(n).zip(gates.chunks(c)).for_each(each);
            }
            Tensor::from_f32(shape, data)
        } else {
            let (Some(t), Some(g)) = (io.slots[x].as_ref(), io.slots[s].as_ref()) else {
                return false;
            };
            let (Some(xd), Some(gates)) = (t.as_f32(), g.as_f32()) else {
                return false;
            };
            let (n, c) = (per(t).max(1), per(g).max(1));
            let mut out = io.pool.take(xd.len());
            let each = |((o, xv), g): ((&mut [f32], &[f32]), &[f32])| {
                tfjs_kernels::channel_scale(xv, g, o)
            };
            if xd.len() >= PARALLEL_VALUES {
                out.par_chunks_mut(n)
                    .zip(xd.par_chunks(n))
                    .zip(gates.par_chunks(c))
                    .for_each(each);
            } else {
                out.chunks_mut(n)
                    .zip(xd.chunks(n))
                    .zip(gates.chunks(c))
                    .for_each(each);
            }
            Tensor::from_f32(t.shape().to_vec(), out)
        };
        let Ok(y) = y else {
            return false;
        };
        let released = (io.last_use[s] == here).then_some(s);
        io.finish(released.into_iter(), self.output, y);
        true
    }
}
