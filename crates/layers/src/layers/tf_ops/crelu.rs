//! `tf.nn.crelu(x, axis=-1)`: the concatenation of `relu(x)` and
//! `relu(-x)` along `axis` (TensorFlow's `nn_ops.crelu`: `concat([x, -x],
//! axis)` then `relu`), which doubles that axis.

use super::super::keras3_ops::{concat, concat_shape};
use crate::{Shape, Tensor};

/// The output shape of `crelu` of `x` along `axis`.
pub(super) fn crelu_shape(x: &Shape, axis: i64) -> std::result::Result<Shape, String> {
    concat_shape(&[x.clone(), x.clone()], axis)
}

/// `crelu` of `x` along `axis`.
pub(super) fn crelu(x: &Tensor, axis: i64) -> std::result::Result<Tensor, String> {
    let values = x.to_f32();
    let half = |sign: f32| {
        let v = values.iter().map(|&v| (sign * v).max(0.0)).collect();
        Tensor::from_f32(x.shape().to_vec(), v).map_err(|e| e.to_string())
    };
    concat(&[half(1.0)?, half(-1.0)?], axis)
}
