//! Keras 3's NaN-ignoring reductions `ops.nansum`, `nanmean`, `nanmax`,
//! `nanmin`, `nanprod`, `nanvar` and `nanstd` (`axis`, `keepdims`), as
//! Keras's TensorFlow backend writes them:
//!
//! - nansum / nanprod: NaN replaced by 0 / 1, then the sum / product;
//! - nanmean: that sum over the count of non-NaN values (0 / 0: NaN for a
//!   row of NaNs);
//! - nanmax / nanmin: NaN replaced by -inf / +inf, NaN where every value
//!   reduced is NaN;
//! - nanvar: the mean of squared differences from the nanmean over the
//!   non-NaN values, nanstd its square root.

use super::super::common::f32s;
use super::{reduce, reduce_shape, Reduce};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum How {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
    Var,
    Std,
}

#[derive(Debug, Clone)]
pub(crate) struct NanReduce {
    how: How,
    axes: Option<Vec<i64>>,
    keepdims: bool,
}

impl NanReduce {
    /// The Keras 3 operation `op` (`None`: not one of these).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<NanReduce>> {
        let how = match op {
            "Nansum" => How::Sum,
            "Nanmean" => How::Mean,
            "Nanmax" => How::Max,
            "Nanmin" => How::Min,
            "Nanprod" => How::Prod,
            "Nanvar" => How::Var,
            "Nanstd" => How::Std,
            _ => return None,
        };
        Some((|| {
            let axes = match c.get("axis") {
                None | Some(Value::Null) => None,
                v => Some(super::int_list(v).ok_or_else(|| {
                    c.err("axis", "expected an integer, a list of integers or null")
                })?),
            };
            if axes.as_ref().is_some_and(Vec::is_empty) {
                return Err(c.err("axis", "an empty axis list (the input unchanged)"));
            }
            Ok(NanReduce {
                how,
                axes,
                keepdims: c.bool_or("keepdims", false)?,
            })
        })())
    }

    /// The reduced axes are all after the batch axis.
    pub(crate) fn per_sample(&self) -> bool {
        self.axes.as_ref().is_some_and(|a| a.iter().all(|&x| x > 0))
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        reduce_shape(x, &self.axes, self.keepdims)
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let map = |f: &dyn Fn(f32) -> f32| -> Out<Tensor> {
            Tensor::from_f32(x.shape().to_vec(), f32s(x).iter().map(|&v| f(v)).collect())
                .map_err(|e| e.to_string())
        };
        let zip = |a: &Tensor, b: &Tensor, f: &dyn Fn(f32, f32) -> f32| -> Out<Tensor> {
            let v = f32s(a)
                .iter()
                .zip(f32s(b).iter())
                .map(|(&p, &q)| f(p, q))
                .collect();
            Tensor::from_f32(a.shape().to_vec(), v).map_err(|e| e.to_string())
        };
        let (axes, keep) = (&self.axes, self.keepdims);
        let nan_or = |v: f32, d: f32| if v.is_nan() { d } else { v };
        // The count of non-NaN values reduced (keepdims as asked).
        let count =
            |keep: bool| reduce(&map(&|v| f32::from(!v.is_nan()))?, Reduce::Sum, axes, keep);
        match self.how {
            How::Sum => reduce(&map(&|v| nan_or(v, 0.0))?, Reduce::Sum, axes, keep),
            How::Prod => reduce(&map(&|v| nan_or(v, 1.0))?, Reduce::Prod, axes, keep),
            How::Mean => {
                let sum = reduce(&map(&|v| nan_or(v, 0.0))?, Reduce::Sum, axes, keep)?;
                zip(&sum, &count(keep)?, &|s, n| s / n)
            }
            How::Max | How::Min => {
                let (fill, how) = if self.how == How::Max {
                    (f32::NEG_INFINITY, Reduce::Max)
                } else {
                    (f32::INFINITY, Reduce::Min)
                };
                let m = reduce(&map(&|v| nan_or(v, fill))?, how, axes, keep)?;
                zip(&m, &count(keep)?, &|m, n| {
                    if n == 0.0 {
                        f32::NAN
                    } else {
                        m
                    }
                })
            }
            How::Var | How::Std => {
                let sum = reduce(&map(&|v| nan_or(v, 0.0))?, Reduce::Sum, axes, true)?;
                let mean = zip(&sum, &count(true)?, &|s, n| s / n)?;
                // Squared differences from the mean (broadcast back), 0 at NaNs.
                let sq = super::reduce::with_reduced(x, &mean, |v, m| {
                    if v.is_nan() {
                        0.0
                    } else {
                        (v - m) * (v - m)
                    }
                });
                let sq = Tensor::from_f32(x.shape().to_vec(), sq).map_err(|e| e.to_string())?;
                let total = reduce(&sq, Reduce::Sum, axes, keep)?;
                let std = self.how == How::Std;
                zip(&total, &count(keep)?, &|s, n| {
                    let var = s / n;
                    if std {
                        var.sqrt()
                    } else {
                        var
                    }
                })
            }
        }
    }
}
