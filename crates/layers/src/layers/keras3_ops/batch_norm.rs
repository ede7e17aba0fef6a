//! Keras 3's `ops.nn.batch_normalization(x, mean, variance, axis, offset,
//! scale, epsilon)` (a `BatchNorm` node) with constant statistics, offset
//! and scale (a folded `BatchNormalization`), as Keras's TensorFlow
//! backend computes it through `tf.nn.batch_normalization`: per channel of
//! `axis`, `inv = 1 / sqrt(variance + epsilon)` (times `scale`), then `x ·
//! inv + (offset - mean · inv)` (`-mean · inv` without an offset).
//! Statistics given as tensors of the model's are refused.

use super::super::common::*;
use super::super::tf_ops::axis_of;
use super::constant_operand;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

#[derive(Debug, Clone)]
pub(crate) struct BatchNormOp {
    axis: i64,
    /// Per channel: the factor and the shift.
    inv: Vec<f32>,
    shift: Vec<f32>,
}

type Out<T> = std::result::Result<T, String>;

impl BatchNormOp {
    /// The operation from its config and call arguments `(x, mean,
    /// variance, offset, scale)`.
    pub(crate) fn from_config(
        c: &ConfigReader<'_>,
        args: &[Value],
        kwargs: Option<&Value>,
    ) -> Result<BatchNormOp> {
        let arg = |i: usize, k: &str| args.get(i).or_else(|| kwargs.and_then(|m| m.get(k)));
        let param = |i: usize, k: &str| -> Result<Option<Vec<f32>>> {
            match arg(i, k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => constant_operand(v)
                    .filter(|t| t.rank() == 1)
                    .map(|t| Some(t.to_f32().into_owned()))
                    .ok_or_else(|| {
                        c.err(
                            "args",
                            format!(
                                "operation BatchNorm: {k} must be a constant vector (a tensor of \
                                 the model's is not supported)"
                            ),
                        )
                    }),
            }
        };
        let required = |i: usize, k: &str| {
            param(i, k)?.ok_or_else(|| c.err("args", format!("operation BatchNorm: no {k}")))
        };
        let (mean, variance) = (required(1, "mean")?, required(2, "variance")?);
        let (offset, scale) = (param(3, "offset")?, param(4, "scale")?);
        let n = mean.len();
        let fits = |v: &Option<Vec<f32>>| v.as_ref().is_none_or(|v| v.len() == n);
        if variance.len() != n || !fits(&offset) || !fits(&scale) {
            return Err(c.err(
                "args",
                "operation BatchNorm: mean, variance, offset and scale differ in length",
            ));
        }
        let epsilon = c.f64_opt("epsilon")?.unwrap_or(1e-3) as f32;
        let inv: Vec<f32> = (0..n)
            .map(|k| {
                let r = 1.0 / (variance[k] + epsilon).sqrt();
                scale.as_ref().map_or(r, |s| r * s[k])
            })
            .collect();
        let shift = (0..n)
            .map(|k| match &offset {
                Some(o) => o[k] - mean[k] * inv[k],
                None => -mean[k] * inv[k],
            })
            .collect();
        Ok(BatchNormOp {
            axis: c.i64_or("axis", -1)?,
            inv,
            shift,
        })
    }

    /// Not over the batch axis.
    pub(crate) fn per_sample(&self) -> bool {
        self.axis != 0
    }

    /// The channel axis of a rank-`rank` input, of as many channels as
    /// the statistics.
    fn channel_axis(&self, rank: usize, dim: impl Fn(usize) -> Option<usize>) -> Out<usize> {
        let a = axis_of(self.axis, rank, 0)?;
        match dim(a) {
            Some(d) if d != self.inv.len() => Err(format!(
                "axis {} has {d} channels, the statistics {}",
                self.axis,
                self.inv.len()
            )),
            _ => Ok(a),
        }
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        self.channel_axis(x.len(), |a| x[a])?;
        Ok(x.clone())
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let shape = x.shape();
        let a = self.channel_axis(shape.len(), |a| Some(shape[a]))?;
        let inner: usize = shape[a + 1..].iter().product();
        let n = self.inv.len();
        let out = f32s(x)
            .iter()
            .enumerate()
            .map(|(p, &v)| {
                let k = (p / inner.max(1)) % n.max(1);
                v * self.inv[k] + self.shift[k]
            })
            .collect();
        Tensor::from_f32(shape.to_vec(), out).map_err(|e| e.to_string())
    }
}
