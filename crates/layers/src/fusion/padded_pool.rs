//! `ZeroPadding2D` + `MaxPooling2D` (`padding: "valid"`) as one step: the
//! max pool runs over the unpadded input with the padding as its own
//! border, where cells outside the input never win (TensorFlow's `"same"`
//! semantics), and every output whose window reaches into the border is
//! then raised to at least 0: the max over a window with zeros in it is
//! the max of its input cells and 0. Exactly the layers' numbers, without
//! the padded copy (DenseNet's and ResNet's stems pad before their max
//! pooling).

use super::StepIo;
use crate::layers::pooling::Pooling;
use crate::{Layer, Tensor, TensorData};
use tfjs_kernels::Pool2dParams;

/// A fused `ZeroPadding2D` + `MaxPooling2D`.
#[derive(Debug)]
pub(crate) struct PaddedMaxPool {
    /// Exec positions: the padding, the pooling.
    pub chain: Vec<usize>,
    input: usize,
    output: usize,
    /// `[(top, bottom), (left, right)]`.
    pad: [(usize, usize); 2],
    window: [usize; 2],
    strides: [usize; 2],
}

impl PaddedMaxPool {
    /// The step for a channels-last `ZeroPadding2D` of `pad` feeding only
    /// `pool` at position `chain[1]`, when that is a channels-last
    /// `MaxPooling2D` with `valid` padding whose window is wider than the
    /// padding (so every window holds an input cell).
    pub(crate) fn new(
        pool: &dyn Layer,
        pad: [(usize, usize); 2],
        input: usize,
        output: usize,
        chain: [usize; 2],
    ) -> Option<PaddedMaxPool> {
        let (window, strides) = pool.as_any()?.downcast_ref::<Pooling>()?.valid_max_2d()?;
        let fits = |(a, b): (usize, usize), k: usize| a < k && b < k;
        if !(fits(pad[0], window[0]) && fits(pad[1], window[1])) {
            return None;
        }
        Some(PaddedMaxPool {
            chain: chain.to_vec(),
            input,
            output,
            pad,
            window,
            strides,
        })
    }

    /// Run the step (see [`super::Step::run_fused`]).
    pub(super) fn run(&self, io: &mut StepIo<'_>) -> bool {
        let Some(x) = io.slots[self.input].as_ref() else {
            return false;
        };
        let (TensorData::F32(xd), &[b, h, w, c]) = (x.data(), x.shape()) else {
            return false;
        };
        if io.mask_slots[self.input].is_some() {
            return false;
        }
        let [(top, bottom), (left, right)] = self.pad;
        let [k_h, k_w] = self.window;
        let [s_h, s_w] = self.strides;
        let (ph, pw) = (h + top + bottom, w + left + right);
        if ph < k_h || pw < k_w {
            return false;
        }
        let p = Pool2dParams {
            batch: b,
            in_h: h,
            in_w: w,
            channels: c,
            k_h,
            k_w,
            stride_h: s_h,
            stride_w: s_w,
            pad_top: top,
            pad_left: left,
            out_h: (ph - k_h) / s_h + 1,
            out_w: (pw - k_w) / s_w + 1,
        };
        let len = b * p.out_h * p.out_w * c;
        let mut out = io.pool.take(len);
        tfjs_kernels::max_pool2d(xd, &p, &mut out);
        // Windows reaching into the zero border: at least 0.
        let border = |o: usize, s: usize, k: usize, before: usize, n: usize| {
            o * s < before || o * s + k > before + n
        };
        for (row, pixels) in out.chunks_mut(p.out_w * c).enumerate() {
            let oh = row % p.out_h;
            let row_border = border(oh, s_h, k_h, top, h);
            for (ow, px) in pixels.chunks_mut(c).enumerate() {
                if row_border || border(ow, s_w, k_w, left, w) {
                    // (`< 0` leaves a NaN as the padded pooling leaves it.)
                    px.iter_mut().filter(|v| **v < 0.0).for_each(|v| *v = 0.0);
                }
            }
        }
        let Ok(y) = Tensor::from_f32(vec![b, p.out_h, p.out_w, c], out) else {
            return false;
        };
        let released = (io.last_use[self.input] == self.chain[0]).then_some(self.input);
        io.finish(released.into_iter(), self.output, y);
        true
    }
}
