//! Small tensor utilities shared by the layer families: axis
//! normalization, transposes, matmul, element-wise maps, activations.

use super::Base;
use crate::activations::Activation;
use crate::{Result, Shape, Tensor, TensorData};
use rayon::prelude::*;

/// Normalize a possibly negative axis against `rank`.
pub(crate) fn norm_axis(base: &Base, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        Err(base.err(format!(
            "axis {axis} is out of range for a rank-{rank} input"
        )))
    } else {
        Ok(a as usize)
    }
}

/// Row-major transpose: `out.shape[i] = shape[perm[i]]`.
pub(crate) fn transpose<T: Copy + Send + Sync>(
    data: &[T],
    shape: &[usize],
    perm: &[usize],
) -> Vec<T> {
    let rank = shape.len();
    if perm.iter().enumerate().all(|(i, &p)| i == p) || data.is_empty() {
        return data.to_vec();
    }
    let mut in_strides = vec![1usize; rank];
    for i in (0..rank.saturating_sub(1)).rev() {
        in_strides[i] = in_strides[i + 1] * shape[i + 1];
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    let inner = *out_shape.last().unwrap_or(&1);
    let inner_stride = *strides.last().unwrap_or(&1);
    let mut out = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; rank.saturating_sub(1)];
    let outer: usize = out_shape[..rank - 1].iter().product();
    for _ in 0..outer {
        let mut base = 0;
        for (i, &x) in idx.iter().enumerate() {
            base += x * strides[i];
        }
        for j in 0..inner {
            out.push(data[base + j * inner_stride]);
        }
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Transpose a tensor of either dtype.
pub(crate) fn transpose_tensor(t: &Tensor, perm: &[usize]) -> Tensor {
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    let data = match t.data() {
        TensorData::F32(v) => TensorData::F32(transpose(v, t.shape(), perm)),
        TensorData::I32(v) => TensorData::I32(transpose(v, t.shape(), perm)),
        TensorData::Str(v) => {
            // Strings are not `Copy`: transpose their indices.
            let idx: Vec<u32> = (0..v.len() as u32).collect();
            let moved = transpose(&idx, t.shape(), perm);
            TensorData::Str(moved.iter().map(|&i| v[i as usize].clone()).collect())
        }
    };
    match data {
        TensorData::F32(v) => Tensor::from_f32(shape, v),
        TensorData::I32(v) => Tensor::from_i32(shape, v),
        TensorData::Str(v) => Tensor::from_strings(shape, v),
    }
    .expect("transpose keeps the element count")
}

/// Permutation moving axis 1 (channels-first) to the end.
pub(crate) fn perm_to_channels_last(rank: usize) -> Vec<usize> {
    let mut p = vec![0];
    p.extend(2..rank);
    p.push(1);
    p
}

/// Permutation moving the last axis to position 1.
pub(crate) fn perm_to_channels_first(rank: usize) -> Vec<usize> {
    let mut p = vec![0, rank - 1];
    p.extend(1..rank - 1);
    p
}

/// Apply a permutation to a symbolic shape.
pub(crate) fn permute_shape(s: &Shape, perm: &[usize]) -> Shape {
    perm.iter().map(|&p| s[p]).collect()
}

/// `f(a, b)` of two equally long slices into a new vector.
pub(crate) fn zip_new<F: Fn(f32, f32) -> f32 + Sync + Send>(
    a: &[f32],
    b: &[f32],
    f: F,
) -> Vec<f32> {
    if a.len() >= 1 << 16 {
        let mut out = Vec::with_capacity(a.len());
        a.par_iter()
            .zip(b.par_iter())
            .map(|(&x, &y)| f(x, y))
            .collect_into_vec(&mut out);
        out
    } else {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    }
}

/// Apply a layer's activation in place (parallel for large slices) to its
/// output `x` of shape `shape` (rows along the last axis). `glu` halves
/// the last axis: `x` and `shape` follow (an odd size is an error naming
/// the layer, as Keras refuses it).
pub(crate) fn apply_activation(
    base: &Base,
    act: Activation,
    x: &mut Vec<f32>,
    shape: &mut [usize],
) -> Result<()> {
    let last_dim = shape.last().copied().unwrap_or(1);
    match act {
        Activation::Linear => {}
        Activation::Glu => {
            let half = act
                .last_dim_after(last_dim)
                .filter(|_| !shape.is_empty())
                .ok_or_else(|| glu_err(base, shape.iter().map(|&d| Some(d))))?;
            act.apply(x, last_dim);
            x.truncate(x.len() / 2);
            if let Some(l) = shape.last_mut() {
                *l = half;
            }
        }
        _ if act.per_row() => act.apply(x, last_dim),
        _ if x.len() >= 1 << 16 => x
            .par_chunks_mut(1 << 14)
            .for_each(|c| act.apply(c, last_dim)),
        _ => act.apply(x, last_dim),
    }
    Ok(())
}

/// A layer's output shape `shape` (before its activation) after `act`:
/// `glu` halves the last axis (unknown stays unknown; odd is an error
/// naming the layer); other activations keep it.
pub(crate) fn activated_shape(base: &Base, act: Activation, mut shape: Shape) -> Result<Shape> {
    if act == Activation::Glu {
        let after = match shape.last() {
            None => None,
            Some(None) => Some(None),
            Some(Some(n)) => act.last_dim_after(*n).map(Some),
        };
        let after = after.ok_or_else(|| glu_err(base, shape.iter().copied()))?;
        *shape.last_mut().expect("rank >= 1") = after;
    }
    Ok(shape)
}

fn glu_err(base: &Base, shape: impl Iterator<Item = Option<usize>>) -> crate::LayersError {
    let shape: Shape = shape.collect();
    base.err(format!(
        "activation glu splits the last axis in halves; the output before it, {}, has {}",
        super::shape_str(&shape),
        if shape.is_empty() {
            "no axis"
        } else {
            "an odd last axis"
        }
    ))
}

/// Apply `f` in place, in parallel chunks on large tensors; the chunk size is a multiple of every SIMD width, so
/// vectorized functions see the same lanes as in one pass.
pub(crate) fn run_pointwise(f: &crate::Pointwise, x: &mut [f32]) {
    if x.len() >= 1 << 16 {
        x.par_chunks_mut(1 << 14).for_each(|c| f.apply(c));
    } else {
        f.apply(x);
    }
}

/// Keras masks pass through unchanged (layers with `supports_masking`).
pub(crate) fn pass_mask(masks: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
    vec![masks.first().cloned().flatten()]
}

/// A preprocessing layer's mask: dropped where its dialect drops masks
/// (tf_keras's `Rescaling` / `Normalization`), else passed on.
pub(crate) fn preprocessing_mask(
    drops_mask: bool,
    masks: &[Option<Tensor>],
) -> Vec<Option<Tensor>> {
    if drops_mask {
        vec![None]
    } else {
        pass_mask(masks)
    }
}

/// The Keras mask of a sequence layer's main output: its input's mask when
/// it returns sequences, none when it returns only the last step.
pub(crate) fn sequence_mask(return_sequences: bool, masks: &[Option<Tensor>]) -> Option<Tensor> {
    if return_sequences {
        masks.first().cloned().flatten()
    } else {
        None
    }
}

/// `act` (softmax, log-softmax) over `axis` of `xs` (shape `shape`): the
/// axis is moved last, the rows computed, and moved back.
pub(crate) fn apply_along(act: Activation, xs: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    let rank = shape.len();
    if axis + 1 >= rank {
        let mut out = xs.to_vec();
        act.apply(&mut out, shape.last().copied().unwrap_or(1));
        return out;
    }
    let mut perm: Vec<usize> = (0..rank).collect();
    perm.swap(axis, rank - 1);
    let moved: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut t = transpose(xs, shape, &perm);
    act.apply(&mut t, shape[axis]);
    // A swap of two axes is its own inverse.
    transpose(&t, &moved, &perm)
}
