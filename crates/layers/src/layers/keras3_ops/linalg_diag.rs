//! Keras 2's `tf.linalg.diag` (a vector as the diagonal of a square
//! matrix, zeros elsewhere), `tf.linalg.set_diag` (a matrix with its main
//! diagonal replaced by a tensor's) and `tf.linalg.normalize(x, axis)`
//! (`x / ‖x‖` and `‖x‖`, the Euclidean norm over `axis` kept as size 1):
//! the main diagonal only, as TensorFlow computes them. Batched: the
//! leading axes are kept.

use super::super::common::*;
use crate::{Shape, Tensor};

type Out<T> = std::result::Result<T, String>;

/// `[..., n]` → `[..., n, n]`.
pub(super) fn diag_shape(x: &Shape) -> Out<Shape> {
    let n = *x.last().ok_or("expects a vector per sample")?;
    let mut out = x.clone();
    out.push(n);
    Ok(out)
}

pub(super) fn diag(x: &Tensor) -> Out<Tensor> {
    let mut shape = x.shape().to_vec();
    let n = *shape.last().ok_or("expects a vector per sample")?;
    let data = f32s(x);
    let mut out = vec![0f32; data.len() * n];
    for (r, &v) in data.iter().enumerate() {
        let (row, i) = (r / n.max(1), r % n.max(1));
        out[(row * n + i) * n + i] = v;
    }
    shape.push(n);
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// `m` `[..., r, c]` with `d` `[..., min(r, c)]` on its main diagonal.
pub(super) fn set_diag(m: &Tensor, d: &Tensor) -> Out<Tensor> {
    let shape = m.shape().to_vec();
    let [.., r, c] = shape[..] else {
        return Err(format!("expects matrices, got shape {shape:?}"));
    };
    let k = r.min(c);
    let mut want = shape[..shape.len() - 2].to_vec();
    want.push(k);
    if d.shape() != want.as_slice() {
        return Err(format!(
            "the diagonal's shape {:?} does not fit matrices of shape {shape:?}",
            d.shape()
        ));
    }
    let mut out = f32s(m).to_vec();
    for (j, &v) in f32s(d).iter().enumerate() {
        let (b, i) = (j / k.max(1), j % k.max(1));
        out[(b * r + i) * c + i] = v;
    }
    Tensor::from_f32(shape, out).map_err(|e| e.to_string())
}

/// `tf.linalg.normalize` over `axes` (never the batch): `[x / norm, norm]`.
pub(super) fn normalize(x: &Tensor, axes: &Option<Vec<i64>>) -> Out<Vec<Tensor>> {
    let norm = super::reduce(x, super::Reduce::Norm, axes, true)?;
    let out = super::reduce::with_reduced(x, &norm, |v, n| v / n);
    let normalized = Tensor::from_f32(x.shape().to_vec(), out).map_err(|e| e.to_string())?;
    Ok(vec![normalized, norm])
}
