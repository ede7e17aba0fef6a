//! Keras 3's `ops.diff(a, n, axis)`: numpy's n-th discrete difference,
//! `a[1:] - a[:-1]` along `axis`, `n` times (Keras's TensorFlow backend
//! takes the same slices); the axis shrinks by `n` (to at least 0). The
//! batch axis cannot be differenced (the batch would change size).

use super::super::common::*;
use super::super::tf_ops::axis_of;
use crate::{Shape, Tensor};

type Out<T> = std::result::Result<T, String>;

/// The differenced axis of a rank-`rank` input.
fn diff_axis(axis: i64, rank: usize) -> Out<usize> {
    let a = axis_of(axis, rank, 0)?;
    if a == 0 {
        return Err("diff along the batch axis".into());
    }
    Ok(a)
}

pub(super) fn diff_shape(x: &Shape, n: usize, axis: i64) -> Out<Shape> {
    let a = diff_axis(axis, x.len())?;
    let mut out = x.clone();
    out[a] = x[a].map(|d| d.saturating_sub(n));
    Ok(out)
}

pub(super) fn diff_call(x: &Tensor, n: usize, axis: i64) -> Out<Tensor> {
    let mut shape = x.shape().to_vec();
    let a = diff_axis(axis, shape.len())?;
    let outer: usize = shape[..a].iter().product();
    let inner: usize = shape[a + 1..].iter().product();
    let mut data = f32s(x).to_vec();
    for _ in 0..n.min(shape[a]) {
        let d = shape[a];
        let mut next = Vec::with_capacity(outer * (d - 1) * inner);
        for o in 0..outer {
            let row = &data[o * d * inner..(o + 1) * d * inner];
            for i in 1..d {
                let (hi, lo) = (
                    &row[i * inner..(i + 1) * inner],
                    &row[(i - 1) * inner..i * inner],
                );
                next.extend(hi.iter().zip(lo).map(|(h, l)| h - l));
            }
        }
        shape[a] = d - 1;
        data = next;
    }
    Tensor::from_f32(shape, data).map_err(|e| e.to_string())
}
