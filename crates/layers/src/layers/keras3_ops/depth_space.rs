//! Pixel shuffle: `tf.nn.depth_to_space` / `space_to_depth` (Keras 2
//! `TFOpLambda`) and Keras 3's `ops.nn.depth_to_space` /
//! `ops.nn.space_to_depth` (ESPCN super-resolution, YOLO's reorg), NHWC.
//! Depth-to-space moves channel block `(by, bx, c)` of pixel `(h, w)` to
//! pixel `(h·b + by, w·b + bx)`, channel `c`; space-to-depth is its inverse.

use super::super::common::*;
use crate::{Shape, Tensor};

type Out<T> = std::result::Result<T, String>;

/// The output shape of an NHWC `x` with block size `b`.
pub(crate) fn depth_space_shape(x: &Shape, b: usize, to_space: bool) -> Out<Shape> {
    let [n, h, w, c] = x[..] else {
        return Err(format!(
            "expected a rank-4 NHWC input, got rank {}",
            x.len()
        ));
    };
    Ok(if to_space {
        if c.is_some_and(|c| c % (b * b) != 0) {
            return Err(format!(
                "{} channels do not divide by block_size² {}",
                c.unwrap_or(0),
                b * b
            ));
        }
        vec![
            n,
            h.map(|h| h * b),
            w.map(|w| w * b),
            c.map(|c| c / (b * b)),
        ]
    } else {
        if [h, w].iter().any(|d| d.is_some_and(|d| d % b != 0)) {
            return Err(format!("height and width must divide by block_size {b}"));
        }
        vec![n, h.map(|h| h / b), w.map(|w| w / b), c.map(|c| c * b * b)]
    })
}

/// Depth-to-space (`to_space`) or space-to-depth of an NHWC `x`.
pub(crate) fn depth_space(x: &Tensor, b: usize, to_space: bool) -> Out<Tensor> {
    let s = x.shape().to_vec();
    let sym: Shape = s.iter().map(|&d| Some(d)).collect();
    let o: Vec<usize> = depth_space_shape(&sym, b, to_space)?
        .iter()
        .map(|d| d.unwrap_or(1))
        .collect();
    let (big, small) = if to_space { (&o, &s) } else { (&s, &o) };
    let (bh, bw, bc) = (big[1], big[2], big[3]);
    let (sh, sw, sc) = (small[1], small[2], small[3]);
    let xs = f32s(x);
    let mut out = vec![0f32; xs.len()];
    for n in 0..s[0] {
        for y in 0..bh {
            for xx in 0..bw {
                for c in 0..bc {
                    let bi = ((n * bh + y) * bw + xx) * bc + c;
                    let sd = ((y % b) * b + xx % b) * bc + c;
                    let si = ((n * sh + y / b) * sw + xx / b) * sc + sd;
                    if to_space {
                        out[bi] = xs[si];
                    } else {
                        out[si] = xs[bi];
                    }
                }
            }
        }
    }
    Tensor::from_f32(o, out).map_err(|e| e.to_string())
}
