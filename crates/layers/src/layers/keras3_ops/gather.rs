//! `tf.gather(params, indices, axis, batch_dims)` with a tensor of indices
//! (TensorFlow's `GatherV2`, a tf_keras `TFOpLambda`) and Keras 3's
//! `ops.take(x, indices, axis)` given a tensor (its TensorFlow backend
//! wraps negative indices, then gathers): `out[b.., o.., i.., r..] =
//! params[b.., o.., indices[b.., i..], r..]`, where `b` are the first
//! `batch_dims` axes (shared by `params` and `indices`), `o` the axes of
//! `params` before `axis`, `r` those after it. The output shape is
//! `params[:axis] + indices[batch_dims:] + params[axis + 1:]`. An index
//! outside `[0, n)` (or not an integer) is an error, as TensorFlow's CPU
//! kernel makes it. `params` may be a constant table the file holds
//! (`ops.take(table, ids)`, `tf.nn.embedding_lookup(table, ids)`), and
//! `indices` constant ones of rank 2 or more (`tf.gather(x, [[0, 2], [4,
//! 1]], axis=1)`, `ops.take` of a 2-D NumPy array).

use super::super::common::*;
use super::super::tf_ops::axis_of;
use crate::{Shape, Tensor};

/// A gather's arguments, as the call gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Gather {
    /// `None`: `batch_dims` (TensorFlow's default).
    pub axis: Option<i64>,
    /// Negative: counted from the end of `indices`' axes.
    pub batch_dims: i64,
    /// Keras 3's `take`: a negative index counts from the end of the axis.
    pub wrap_negative: bool,
}

impl Gather {
    /// `(axis, batch_dims)` resolved for `params` and `indices` of these
    /// ranks, or why they do not fit.
    fn resolve(
        &self,
        params: usize,
        indices: usize,
    ) -> std::result::Result<(usize, usize), String> {
        let b = if self.batch_dims < 0 {
            self.batch_dims + indices as i64
        } else {
            self.batch_dims
        };
        if b < 0 || b > indices as i64 {
            return Err(format!(
                "batch_dims {} is out of range for indices of rank {indices}",
                self.batch_dims
            ));
        }
        let b = b as usize;
        let axis = axis_of(self.axis.unwrap_or(b as i64), params, 0)?;
        if axis < b {
            return Err(format!(
                "axis {axis} must be at least batch_dims {b} (TensorFlow's rule)"
            ));
        }
        Ok((axis, b))
    }

    /// The output shape.
    pub(crate) fn shape(
        &self,
        params: &Shape,
        indices: &Shape,
    ) -> std::result::Result<Shape, String> {
        let (axis, b) = self.resolve(params.len(), indices.len())?;
        for k in 0..b {
            if let (Some(p), Some(i)) = (params[k], indices[k]) {
                if p != i {
                    return Err(format!(
                        "params {} and indices {} differ in batch dimension {k}",
                        shape_str(params),
                        shape_str(indices)
                    ));
                }
            }
        }
        let mut out: Shape = params[..axis].to_vec();
        out.extend_from_slice(&indices[b..]);
        out.extend_from_slice(&params[axis + 1..]);
        Ok(out)
    }

    /// The values.
    pub(crate) fn call(
        &self,
        params: &Tensor,
        indices: &Tensor,
    ) -> std::result::Result<Tensor, String> {
        let (ps, is) = (params.shape(), indices.shape());
        let (axis, b) = self.resolve(ps.len(), is.len())?;
        if ps[..b] != is[..b] {
            return Err(format!(
                "params {ps:?} and indices {is:?} differ in their first {b} (batch) dimensions"
            ));
        }
        let batch: usize = ps[..b].iter().product();
        let outer: usize = ps[b..axis].iter().product();
        let n = ps[axis];
        let inner: usize = ps[axis + 1..].iter().product();
        let picks: usize = is[b..].iter().product();
        let (pv, iv) = (f32s(params), f32s(indices));
        let total = batch
            .checked_mul(outer)
            .and_then(|t| t.checked_mul(picks))
            .and_then(|t| t.checked_mul(inner))
            .filter(|&t| t <= 1 << 28)
            .ok_or_else(|| "the output would exceed 2^28 elements".to_string())?;
        let mut out = Vec::with_capacity(total);
        for bi in 0..batch {
            for o in 0..outer {
                let from = (bi * outer + o) * n * inner;
                for &raw in &iv[bi * picks..(bi + 1) * picks] {
                    if raw.fract() != 0.0 {
                        return Err(format!("index {raw} is not an integer"));
                    }
                    let mut k = raw as i64;
                    if self.wrap_negative && k < 0 {
                        k += n as i64;
                    }
                    if !(0..n as i64).contains(&k) {
                        return Err(format!("index {raw} is out of range for an axis of {n}"));
                    }
                    let at = from + k as usize * inner;
                    out.extend_from_slice(&pv[at..at + inner]);
                }
            }
        }
        let mut shape = ps[..axis].to_vec();
        shape.extend_from_slice(&is[b..]);
        shape.extend_from_slice(&ps[axis + 1..]);
        Tensor::from_f32(shape, out).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(axis: Option<i64>, batch_dims: i64) -> Gather {
        Gather {
            axis,
            batch_dims,
            wrap_negative: false,
        }
    }

    #[test]
    fn gathers_per_batch_row_as_tensorflow() {
        // The values TensorFlow 2.21 gives: p = tf.reshape(tf.range(12.), (2, 3, 2));
        // tf.gather(p, [[2, 0], [1, 1]], batch_dims=1): row 0 takes p[0, 2],
        // p[0, 0]; row 1 p[1, 1] twice.
        let p = Tensor::from_f32(vec![2, 3, 2], (0..12).map(|v| v as f32).collect()).unwrap();
        let i = Tensor::from_i32(vec![2, 2], vec![2, 0, 1, 1]).unwrap();
        let y = g(None, 1).call(&p, &i).unwrap();
        assert_eq!(y.shape(), [2, 2, 2]);
        assert_eq!(f32s(&y).as_ref(), [4.0, 5.0, 0.0, 1.0, 8.0, 9.0, 8.0, 9.0]);
        // axis 2 with batch_dims 1: out[b, j, k] = p[b, j, i[b, k]].
        let y = g(Some(2), 1)
            .call(&p, &Tensor::from_i32(vec![2, 1], vec![1, 0]).unwrap())
            .unwrap();
        assert_eq!(y.shape(), [2, 3, 1]);
        assert_eq!(f32s(&y).as_ref(), [1.0, 3.0, 5.0, 6.0, 8.0, 10.0]);
        // batch_dims 0: the whole index tensor for every row.
        let y = g(Some(1), 0).call(&p, &i).unwrap();
        assert_eq!(y.shape(), [2, 2, 2, 2]);
        // Shapes follow; out-of-range and mismatched batches are errors.
        let s = |v: &[usize]| v.iter().map(|&d| Some(d)).collect::<Shape>();
        assert_eq!(
            g(None, -1).shape(&s(&[2, 3, 2]), &s(&[2, 4])).unwrap(),
            s(&[2, 4, 2])
        );
        assert!(g(Some(0), 1).shape(&s(&[2, 3]), &s(&[2, 4])).is_err());
        assert!(g(None, 1)
            .call(&p, &Tensor::from_i32(vec![2, 1], vec![3, 0]).unwrap())
            .is_err());
        assert!(g(None, 1)
            .call(&p, &Tensor::from_i32(vec![3, 1], vec![0, 0, 0]).unwrap())
            .is_err());
        assert!(g(None, 1)
            .call(
                &p,
                &Tensor::from_f32(vec![2, 1], vec![0.5, f32::NAN]).unwrap()
            )
            .is_err());
        // Keras 3's take wraps a negative index (keras.ops.take(p, [-1], axis=1)).
        let take = Gather {
            axis: Some(1),
            batch_dims: 0,
            wrap_negative: true,
        };
        let y = take
            .call(&p, &Tensor::from_i32(vec![1], vec![-1]).unwrap())
            .unwrap();
        assert_eq!(f32s(&y).as_ref(), [4.0, 5.0, 10.0, 11.0]);
    }
}
