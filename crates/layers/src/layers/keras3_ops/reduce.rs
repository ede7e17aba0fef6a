//! Reductions (`ops.mean`, `ops.max`, …, `tf.math.reduce_*`) and
//! concatenation, with their symbolic shapes: shared by the Keras 3
//! operations and Keras 2's `TFOpLambda` functions.

use super::super::common::*;
use crate::{Shape, Tensor};

/// A reduction over some axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reduce {
    Mean,
    Max,
    Min,
    Sum,
    Any,
    All,
    /// Population variance (`tf.math.reduce_variance`).
    Variance,
    /// Population standard deviation (`tf.math.reduce_std`).
    Std,
    /// `log(sum(exp(x)))`, computed as `max + log(sum(exp(x - max)))`.
    LogSumExp,
    /// The Euclidean (Frobenius) norm `sqrt(sum(x²))` (`ops.norm` with
    /// `ord=None`).
    Norm,
    /// The product (`ops.prod`, `tf.math.reduce_prod`).
    Prod,
    /// The position of the largest value along one axis, the first on ties
    /// (`ops.argmax`, `tf.math.argmax`), as a float.
    ArgMax,
    /// The position of the smallest value (`ops.argmin`), as a float.
    ArgMin,
}

/// Axes (possibly negative) resolved against `rank`, sorted, unique.
fn resolve_axes(axes: &Option<Vec<i64>>, rank: usize) -> Option<Vec<usize>> {
    let mut out: Vec<usize> = match axes {
        None => (0..rank).collect(),
        Some(a) => a
            .iter()
            .map(|&x| {
                let r = if x < 0 { x + rank as i64 } else { x };
                (0..rank as i64).contains(&r).then_some(r as usize)
            })
            .collect::<Option<Vec<usize>>>()?,
    };
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The symbolic shape of a reduction.
pub(crate) fn reduce_shape(
    s: &Shape,
    axes: &Option<Vec<i64>>,
    keepdims: bool,
) -> std::result::Result<Shape, String> {
    let ax = resolve_axes(axes, s.len())
        .ok_or_else(|| format!("axis {axes:?} out of range for {}", shape_str(s)))?;
    Ok(s.iter()
        .enumerate()
        .filter_map(|(i, d)| match (ax.contains(&i), keepdims) {
            (true, true) => Some(Some(1)),
            (true, false) => None,
            (false, _) => Some(*d),
        })
        .collect())
}

/// The reduced axes of a shape (sorted), the kept ones, and the output
/// shape.
type Layout = (Vec<usize>, Vec<usize>, Vec<usize>);

/// The reduced axes of shape `s` (sorted), the kept ones, and the output
/// shape (with `keepdims`, 1 for each reduced axis).
pub(crate) fn reduce_layout(
    s: &[usize],
    axes: &Option<Vec<i64>>,
    keepdims: bool,
) -> std::result::Result<Layout, String> {
    let ax = resolve_axes(axes, s.len())
        .ok_or_else(|| format!("axis {axes:?} out of range for {s:?}"))?;
    let kept: Vec<usize> = (0..s.len()).filter(|i| !ax.contains(i)).collect();
    let shape: Vec<usize> = (0..s.len())
        .filter_map(|i| match (ax.contains(&i), keepdims) {
            (true, true) => Some(1),
            (true, false) => None,
            (false, _) => Some(s[i]),
        })
        .collect();
    Ok((ax, kept, shape))
}

/// Reduce `x` over `axes` (`None`: all), Keras/TensorFlow semantics.
pub(crate) fn reduce(
    x: &Tensor,
    how: Reduce,
    axes: &Option<Vec<i64>>,
    keepdims: bool,
) -> std::result::Result<Tensor, String> {
    let s = x.shape();
    let (ax, kept, shape) = reduce_layout(s, axes, keepdims)?;
    let out_n: usize = kept.iter().map(|&i| s[i]).product();
    let count: usize = ax.iter().map(|&i| s[i]).product();
    let mut strides = vec![1usize; s.len()];
    for d in (0..s.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * s[d + 1];
    }
    let out_index = |i: usize| {
        let mut o = 0;
        for &d in &kept {
            o = o * s[d] + (i / strides[d]) % s[d];
        }
        o
    };
    let xs = f32s(x);
    if matches!(how, Reduce::ArgMax | Reduce::ArgMin) {
        let [a] = ax[..] else {
            return Err(format!("argmax / argmin take one axis, got {axes:?}"));
        };
        let min = how == Reduce::ArgMin;
        let start = if min {
            f32::INFINITY
        } else {
            f32::NEG_INFINITY
        };
        let mut best = vec![start; out_n];
        let mut at = vec![0f32; out_n];
        for (i, &v) in xs.iter().enumerate() {
            let o = out_index(i);
            if (min && v < best[o]) || (!min && v > best[o]) {
                best[o] = v;
                at[o] = ((i / strides[a]) % s[a]) as f32;
            }
        }
        return Tensor::from_f32(shape, at).map_err(|e| e.to_string());
    }
    if how == Reduce::LogSumExp {
        let max = reduce(x, Reduce::Max, axes, true)?;
        let m = f32s(&max);
        let mut acc = vec![0f32; out_n];
        for (i, &v) in xs.iter().enumerate() {
            let o = out_index(i);
            acc[o] += (v - m[o]).exp();
        }
        for (a, &mx) in acc.iter_mut().zip(m.iter()) {
            // An all -inf slice stays -inf (TensorFlow's result), not NaN.
            *a = if mx.is_finite() { mx + a.ln() } else { mx };
        }
        return Tensor::from_f32(shape, acc).map_err(|e| e.to_string());
    }
    if matches!(how, Reduce::Variance | Reduce::Std) {
        let mean = reduce(x, Reduce::Mean, axes, true)?;
        let m = f32s(&mean);
        let mut acc = vec![0f32; out_n];
        for (i, &v) in xs.iter().enumerate() {
            let o = out_index(i);
            let d = v - m[o];
            acc[o] += d * d;
        }
        acc.iter_mut().for_each(|a| {
            *a /= count.max(1) as f32;
            if how == Reduce::Std {
                *a = a.sqrt();
            }
        });
        return Tensor::from_f32(shape, acc).map_err(|e| e.to_string());
    }
    let init = match how {
        Reduce::Max => f32::NEG_INFINITY,
        Reduce::Min => f32::INFINITY,
        Reduce::All | Reduce::Prod => 1.0,
        _ => 0.0,
    };
    let mut acc = vec![init; out_n];
    for (i, &v) in xs.iter().enumerate() {
        let a = &mut acc[out_index(i)];
        *a = match how {
            Reduce::Max => a.max(v),
            Reduce::Min => a.min(v),
            Reduce::Any => f32::from(*a != 0.0 || v != 0.0),
            Reduce::All => f32::from(*a != 0.0 && v != 0.0),
            Reduce::Norm => *a + v * v,
            Reduce::Prod => *a * v,
            _ => *a + v,
        };
    }
    if how == Reduce::Mean {
        acc.iter_mut().for_each(|a| *a /= count.max(1) as f32);
    }
    if how == Reduce::Norm {
        acc.iter_mut().for_each(|a| *a = a.sqrt());
    }
    Tensor::from_f32(shape, acc).map_err(|e| e.to_string())
}

/// The symbolic shape of a concatenation.
pub(crate) fn concat_shape(inputs: &[Shape], axis: i64) -> std::result::Result<Shape, String> {
    let first = inputs.first().ok_or("nothing to concatenate")?;
    let rank = first.len() as i64;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&a) {
        return Err(format!("axis {axis} out of range for {}", shape_str(first)));
    }
    let a = a as usize;
    let mut out = first.clone();
    out[a] = inputs.iter().try_fold(0usize, |acc, s| {
        s.get(a).copied().flatten().map(|d| acc + d)
    });
    Ok(out)
}

/// Concatenate `inputs` along `axis` (negative from the end).
pub(crate) fn concat(inputs: &[Tensor], axis: i64) -> std::result::Result<Tensor, String> {
    let first = inputs
        .first()
        .ok_or("nothing to concatenate")?
        .shape()
        .to_vec();
    let rank = first.len() as i64;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&a) {
        return Err(format!("axis {axis} out of range for {first:?}"));
    }
    let a = a as usize;
    let outer: usize = first[..a].iter().product();
    let mut out_shape = first.clone();
    out_shape[a] = 0;
    for x in inputs {
        let s = x.shape();
        if s.len() != first.len() || s[..a] != first[..a] || s[a + 1..] != first[a + 1..] {
            return Err(format!(
                "cannot concatenate {first:?} and {s:?} on axis {a}"
            ));
        }
        out_shape[a] += s[a];
    }
    let parts: Vec<std::borrow::Cow<'_, [f32]>> = inputs.iter().map(f32s).collect();
    let mut out = Vec::with_capacity(out_shape.iter().product());
    for o in 0..outer {
        for (x, p) in inputs.iter().zip(&parts) {
            let chunk: usize = x.shape()[a..].iter().product();
            out.extend_from_slice(&p[o * chunk..(o + 1) * chunk]);
        }
    }
    Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
}

/// Each value of `x` mapped by `f(value, sum of squares of its slice over
/// axes)`: the squared L2 norm that `tf.math.l2_normalize`,
/// `tf.clip_by_norm` and `keras.ops.nn.normalize` scale by.
pub(crate) fn scale_by_norm(
    x: &Tensor,
    axes: &Option<Vec<i64>>,
    f: impl Fn(f32, f32) -> f32,
) -> std::result::Result<Tensor, String> {
    let shape = x.shape().to_vec();
    let xs = f32s(x);
    let sq = Tensor::from_f32(shape.clone(), xs.iter().map(|v| v * v).collect())
        .map_err(|e| e.to_string())?;
    let sum = reduce(&sq, Reduce::Sum, axes, true)?;
    let (ss, sum_shape) = (f32s(&sum), sum.shape().to_vec());
    let out = (xs.iter().enumerate())
        .map(|(i, &v)| {
            f(
                v,
                ss[super::super::tf_ops::broadcast_index(i, &shape, &sum_shape)],
            )
        })
        .collect();
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// `average`'s weights spread over `shape`: the same shape, or a 1-D array
/// as long as `axis`, repeated along the other axes (NumPy's rule).
pub(crate) fn weights_like(
    shape: &[usize],
    axis: Option<i64>,
    w: &Tensor,
) -> std::result::Result<Vec<f32>, String> {
    let wv = f32s(w);
    if w.shape() == shape {
        return Ok(wv.into_owned());
    }
    let rank = shape.len() as i64;
    let a = match axis {
        Some(a) if w.rank() == 1 && (-rank..rank).contains(&a) => a.rem_euclid(rank) as usize,
        _ => {
            return Err(format!(
                "weights of shape {:?} fit neither the input {shape:?} nor its axis {axis:?}",
                w.shape()
            ))
        }
    };
    if w.shape()[0] != shape[a] {
        return Err(format!(
            "{} weights for axis {a} of length {}",
            w.shape()[0],
            shape[a]
        ));
    }
    let inner: usize = shape[a + 1..].iter().product();
    let n: usize = shape.iter().product();
    Ok((0..n).map(|i| wv[(i / inner.max(1)) % shape[a]]).collect())
}

/// `f(v, r)` for each value `v` of `x` and its entry `r` of `reduced`, `x`
/// reduced with `keepdims` (a size-1 axis where `x` was reduced): numpy's
/// broadcast of the reduction back over `x`.
pub(crate) fn with_reduced(x: &Tensor, reduced: &Tensor, f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    let (shape, rs) = (x.shape(), reduced.shape());
    let r = f32s(reduced);
    let mut strides = vec![1usize; rs.len()];
    for d in (0..rs.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * rs[d + 1];
    }
    f32s(x)
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (mut rest, mut at) = (i, 0);
            for d in (0..shape.len()).rev() {
                let coord = rest % shape[d];
                rest /= shape[d];
                if rs[d] != 1 {
                    at += coord * strides[d];
                }
            }
            f(v, r[at])
        })
        .collect()
}
