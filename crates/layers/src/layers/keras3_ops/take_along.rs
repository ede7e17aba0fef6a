//! `ops.take_along_axis(x, indices, axis)` (numpy's `take_along_axis`, as
//! Keras 3's TensorFlow backend computes it): `out[.., j, ..] = x[..,
//! indices[.., j, ..], ..]` along `axis`, the other axes of `x` and
//! `indices` broadcast against each other, a negative index counted from
//! the end of the axis.

use super::super::common::*;
use super::super::tf_ops::axis_of;
use crate::{Shape, Tensor};

/// The output shape for `x` and `indices` (same rank).
pub(crate) fn take_along_shape(
    x: &Shape,
    indices: &Shape,
    axis: i64,
) -> std::result::Result<Shape, String> {
    if x.len() != indices.len() {
        return Err(format!(
            "x {} and indices {} must have the same rank",
            shape_str(x),
            shape_str(indices)
        ));
    }
    let a = axis_of(axis, x.len(), 0)?;
    x.iter()
        .zip(indices)
        .enumerate()
        .map(|(k, (&dx, &di))| {
            if k == a {
                return Ok(di);
            }
            match (dx, di) {
                (Some(1), d) | (d, Some(1)) => Ok(d),
                (Some(p), Some(q)) if p != q => Err(format!(
                    "x {} and indices {} do not broadcast",
                    shape_str(x),
                    shape_str(indices)
                )),
                (d, None) | (None, d) => Ok(d),
                (d, _) => Ok(d),
            }
        })
        .collect()
}

/// The values for `x` and `indices`.
pub(crate) fn take_along(
    x: &Tensor,
    indices: &Tensor,
    axis: i64,
) -> std::result::Result<Tensor, String> {
    let (xs, is) = (x.shape(), indices.shape());
    let sym = |s: &[usize]| s.iter().map(|&d| Some(d)).collect::<Shape>();
    let out: Vec<usize> = take_along_shape(&sym(xs), &sym(is), axis)?
        .into_iter()
        .map(|d| d.unwrap_or(0))
        .collect();
    let a = axis_of(axis, xs.len(), 0)?;
    let n = xs[a] as i64;
    let strides = |s: &[usize]| {
        let mut st = vec![1usize; s.len()];
        for k in (0..s.len().saturating_sub(1)).rev() {
            st[k] = st[k + 1] * s[k + 1];
        }
        st
    };
    let (sx, si) = (strides(xs), strides(is));
    let (xv, iv) = (f32s(x), f32s(indices));
    let total: usize = out.iter().product();
    let mut values = Vec::with_capacity(total);
    let mut pos = vec![0usize; out.len()];
    for _ in 0..total {
        // The index element (broadcast: a size-1 axis repeats).
        let at_i: usize = pos
            .iter()
            .zip(is)
            .zip(&si)
            .map(|((&p, &d), &st)| if d == 1 { 0 } else { p * st })
            .sum();
        let mut k = iv[at_i] as i64;
        if k < 0 {
            k += n;
        }
        if !(0..n).contains(&k) {
            return Err(format!(
                "index {} is out of range for an axis of {n}",
                iv[at_i]
            ));
        }
        let at_x: usize = pos
            .iter()
            .zip(xs)
            .zip(&sx)
            .enumerate()
            .map(|(j, ((&p, &d), &st))| {
                if j == a {
                    k as usize * st
                } else if d == 1 {
                    0
                } else {
                    p * st
                }
            })
            .sum();
        values.push(xv[at_x]);
        for j in (0..pos.len()).rev() {
            pos[j] += 1;
            if pos[j] < out[j] {
                break;
            }
            pos[j] = 0;
        }
    }
    Tensor::from_f32(out, values).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_along_the_axis_with_broadcast_and_negative_indices() {
        // np.take_along_axis(x, idx, axis=1) with x [[1,2,3],[4,5,6]].
        let x = Tensor::from_f32(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let idx = Tensor::from_i32(vec![2, 2], vec![2, 0, -1, 1]).unwrap();
        let y = take_along(&x, &idx, 1).unwrap();
        assert_eq!(y.shape(), [2, 2]);
        assert_eq!(f32s(&y).as_ref(), [3.0, 1.0, 6.0, 5.0]);
        // indices [1, 2] broadcast over the rows.
        let idx = Tensor::from_i32(vec![1, 2], vec![1, 2]).unwrap();
        let y = take_along(&x, &idx, -1).unwrap();
        assert_eq!(f32s(&y).as_ref(), [2.0, 3.0, 5.0, 6.0]);
        assert!(take_along(&x, &Tensor::from_i32(vec![2, 1], vec![3, 0]).unwrap(), 1).is_err());
    }
}
