//! The peak signal-to-noise ratio of two tensors of one shape, as
//! TensorFlow computes it: `20·log10(max_val) − 10·log10(mse)`.
//!
//! - Keras 3's `ops.nn.psnr(x1, x2, max_val)` (a `PSNR` node): its
//!   TensorFlow backend takes the mean squared difference over every
//!   element, the batch included, so the result is one scalar
//!   (`log10(x) = ln(x) / ln(10)` in float32).
//! - Keras 2's `tf.image.psnr(a, b, max_val)`: one value per image, the
//!   mean over the last three axes (`20·ln(max_val)/ln(10) −
//!   (10/ln 10)·ln(mse)`).

use super::super::common::f32s;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct Psnr {
    max_val: f32,
    /// `tf.image.psnr`: per image (over the last three axes); else over
    /// everything.
    per_image: bool,
}

impl Psnr {
    /// Keras 3's `PSNR` node (`None`: another operation).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<Psnr>> {
        (op == "PSNR").then(|| {
            let max_val = c
                .f64_opt("max_val")?
                .ok_or_else(|| c.err("max_val", "a number is required"))?;
            Ok(Psnr {
                max_val: max_val as f32,
                per_image: false,
            })
        })
    }

    /// `tf.image.psnr(a, b, max_val)` with a tensor `b` and a number
    /// `max_val` (`None`: another function).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<Psnr>> {
        (function == "image.psnr").then(|| {
            if kwargs
                .get("b")
                .is_none_or(|b| crate::topology::kwarg_tensor(b).is_none())
            {
                return Err("b: expected a tensor".to_string());
            }
            let max_val = kwargs
                .get("max_val")
                .and_then(Value::as_f64)
                .ok_or("max_val: expected a number")?;
            Ok(Psnr {
                max_val: max_val as f32,
                per_image: true,
            })
        })
    }

    pub(crate) fn per_sample(&self) -> bool {
        self.per_image
    }

    pub(crate) fn shape(&self, inputs: &[Shape]) -> Out<Shape> {
        let (a, b) = match inputs {
            [a, b, ..] => (a, b),
            _ => return Err("psnr needs two tensors".into()),
        };
        let clash = a.len() != b.len()
            || a.iter()
                .zip(b)
                .any(|(x, y)| matches!((x, y), (Some(x), Some(y)) if x != y));
        if clash {
            return Err(format!("psnr: shapes {a:?} and {b:?} must match"));
        }
        if !self.per_image {
            return Ok(Vec::new());
        }
        if a.len() < 3 {
            return Err(format!(
                "tf.image.psnr needs images of rank 3 or more, got {a:?}"
            ));
        }
        Ok(a[..a.len() - 3].to_vec())
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let (a, b) = match inputs {
            [a, b, ..] => (a, b),
            _ => return Err("psnr needs two tensors".into()),
        };
        if a.shape() != b.shape() {
            return Err(format!(
                "psnr: shapes {:?} and {:?} must match",
                a.shape(),
                b.shape()
            ));
        }
        let shape = a.shape();
        let (out_shape, per) = if self.per_image {
            let k = shape.len().checked_sub(3).ok_or_else(|| {
                format!("tf.image.psnr needs images of rank 3 or more, got {shape:?}")
            })?;
            (shape[..k].to_vec(), shape[k..].iter().product::<usize>())
        } else {
            (Vec::new(), shape.iter().product::<usize>())
        };
        let (va, vb) = (f32s(a), f32s(b));
        let ln10 = 10f32.ln();
        let out = if per == 0 {
            // The mean of nothing is NaN, as TensorFlow's.
            vec![f32::NAN; out_shape.iter().product()]
        } else {
            va.chunks(per)
                .zip(vb.chunks(per))
                .map(|(x, y)| {
                    let sum: f64 = x
                        .iter()
                        .zip(y)
                        .map(|(p, q)| {
                            let d = p - q;
                            f64::from(d * d)
                        })
                        .sum();
                    let mse = (sum / per as f64) as f32;
                    if self.per_image {
                        20.0 * self.max_val.ln() / ln10
                            - (10.0 / std::f32::consts::LN_10) * mse.ln()
                    } else {
                        20.0 * (self.max_val.ln() / ln10) - 10.0 * (mse.ln() / ln10)
                    }
                })
                .collect()
        };
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
    }
}
