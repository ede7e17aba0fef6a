//! Keras 2's `tf.gather_nd(params, indices, batch_dims)` with a tensor of
//! int indices (the second input) or constant ones (nested lists in the
//! call): each row of `indices`' last axis (`K`
//! ints) picks `params[b…, i0, …, iK-1]` (the slice of the axes after
//! them), within the sample's own `params` for `batch_dims` leading axes.
//! The output is `indices.shape[:-1] + params.shape[batch_dims + K:]`. An
//! index out of range is an error (TensorFlow's CPU kernel).

use super::super::common::*;
use crate::{Shape, Tensor};

type Out<T> = std::result::Result<T, String>;

pub(super) fn gather_nd_shape(params: &Shape, indices: &Shape, batch_dims: usize) -> Out<Shape> {
    let k = indices
        .last()
        .copied()
        .flatten()
        .ok_or("the indices' last axis (the index length) must be known")?;
    if indices.len() < batch_dims + 1 || params.len() < batch_dims + k {
        return Err(format!(
            "indices of shape {} cannot index params of shape {} with batch_dims {batch_dims}",
            shape_str(indices),
            shape_str(params)
        ));
    }
    let mut out = indices[..indices.len() - 1].to_vec();
    out.extend_from_slice(&params[batch_dims + k..]);
    Ok(out)
}

pub(super) fn gather_nd(params: &Tensor, indices: &Tensor, batch_dims: usize) -> Out<Tensor> {
    let (ps, is) = (params.shape(), indices.shape());
    let k = *is.last().ok_or("indices without axes")?;
    if is.len() < batch_dims + 1
        || ps.len() < batch_dims + k
        || ps[..batch_dims] != is[..batch_dims]
    {
        return Err(format!(
            "indices of shape {is:?} cannot index params of shape {ps:?} with batch_dims \
             {batch_dims}"
        ));
    }
    let batches: usize = ps[..batch_dims].iter().product();
    let indexed = &ps[batch_dims..batch_dims + k];
    let slice: usize = ps[batch_dims + k..].iter().product();
    let per_batch: usize = ps[batch_dims..].iter().product();
    let rows = is[batch_dims..is.len() - 1].iter().product::<usize>();
    let (p, ix) = (f32s(params), f32s(indices));
    let mut out = Vec::with_capacity(batches * rows * slice);
    for b in 0..batches {
        for r in 0..rows {
            let idx = &ix[(b * rows + r) * k..][..k];
            let mut at = 0usize;
            for (&i, &n) in idx.iter().zip(indexed) {
                if !(i >= 0.0 && (i as usize) < n) {
                    return Err(format!("index {i} is out of range [0, {n})"));
                }
                at = at * n + i as usize;
            }
            let from = b * per_batch + at * slice;
            out.extend_from_slice(&p[from..from + slice]);
        }
    }
    let mut shape = is[..is.len() - 1].to_vec();
    shape.extend_from_slice(&ps[batch_dims + k..]);
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}
