//! Keras 3's `ops.layer_normalization(x, gamma, beta, axis, epsilon)`
//! (a `LayerNorm` node, also `rms_scaling`) and `ops.rms_normalization(x,
//! scale, axis, epsilon)` (an `RMSNorm` node), with constant `gamma` /
//! `beta` / `scale` arrays, as Keras's TensorFlow backend computes them
//! (the same math as the `LayerNormalization` / `RMSNormalization` layers:
//! `normalization::layer_norm` / `rms_norm`). `epsilon` None is Keras's
//! `backend.epsilon()`, 1e-7 (the layers default to other values).

use super::super::normalization::{layer_norm, rms_norm};
use super::extra::distinct_axes;
use super::{constant_operand, int_list};
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;
use std::sync::Arc;

/// Keras's `backend.epsilon()`.
const KERAS_EPSILON: f64 = 1e-7;

#[derive(Debug, Clone)]
pub(crate) struct NormOp {
    rms: bool,
    /// `LayerNorm`'s deprecated `rms_scaling`.
    rms_scaling: bool,
    axes: Vec<i64>,
    epsilon: f32,
    /// `gamma` / `scale`.
    scale: Option<Arc<Tensor>>,
    beta: Option<Arc<Tensor>>,
}

type Out<T> = std::result::Result<T, String>;

/// A `gamma` / `beta` / `scale` argument: absent or null, or a constant
/// array (a tensor of the model's is not supported).
fn constant_param(name: &str, v: Option<&Value>) -> Out<Option<Arc<Tensor>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) if crate::topology::kwarg_tensor(v).is_some() => Err(format!(
            "{name}: a tensor is not supported (a constant array is)"
        )),
        Some(v) => v
            .as_f64()
            .and_then(|f| Tensor::from_f32(Vec::new(), vec![f as f32]).ok())
            .or_else(|| constant_operand(v))
            .map(|t| Some(Arc::new(t)))
            .ok_or_else(|| format!("{name}: expected a constant array, got {v}")),
    }
}

impl NormOp {
    /// The operation `op` from its config and call (`None`: not one of
    /// these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
        kwargs: Option<&Value>,
    ) -> Option<Result<NormOp>> {
        let rms = match op {
            "LayerNorm" => false,
            "RMSNorm" => true,
            _ => return None,
        };
        let kwarg = |k: &str| kwargs.and_then(|m| m.get(k));
        Some((|| {
            let axes = match c.get("axis") {
                None | Some(Value::Null) => vec![-1],
                v => int_list(v)
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| c.err("axis", "expected an integer or a list of integers"))?,
            };
            let epsilon = c.f64_opt("epsilon")?.unwrap_or(KERAS_EPSILON) as f32;
            let arg = |i: usize, k: &str| args.get(i).or_else(|| kwarg(k));
            let param = |i: usize, k: &str| {
                constant_param(k, arg(i, k))
                    .map_err(|e| c.err("args", format!("operation {op}: {e}")))
            };
            let (scale, beta) = if rms {
                (param(1, "scale")?, None)
            } else {
                (param(1, "gamma")?, param(2, "beta")?)
            };
            let rms_scaling = !rms && c.bool_or("rms_scaling", false)?;
            Ok(NormOp {
                rms,
                rms_scaling,
                axes,
                epsilon,
                scale,
                // Keras's rms_scaling never adds beta.
                beta: if rms_scaling { None } else { beta },
            })
        })())
    }

    /// The normalized axes of a rank-`rank` input, sorted (never the batch
    /// axis).
    fn sorted_axes(&self, rank: usize) -> Out<Vec<usize>> {
        let mut axes = distinct_axes(&self.axes, rank)?;
        axes.sort_unstable();
        if axes.first() == Some(&0) {
            return Err(format!(
                "axis {:?}: normalizing over the batch axis is not supported",
                self.axes
            ));
        }
        Ok(axes)
    }

    /// The normalized axes are all after the batch axis.
    pub(crate) fn per_sample(&self) -> bool {
        self.axes.iter().all(|&a| a > 0)
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        self.sorted_axes(x.len())?;
        Ok(x.clone())
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let axes = self.sorted_axes(x.rank())?;
        let row: usize = axes.iter().map(|&a| x.shape()[a]).product();
        // One value per row element (Keras reshapes gamma to the axes'
        // dims in sorted order), or one for all.
        let values = |name: &str, t: &Option<Arc<Tensor>>| -> Out<Option<Vec<f32>>> {
            let Some(t) = t else { return Ok(None) };
            let v = t.to_f32();
            match v.len() {
                n if n == row => Ok(Some(v.into_owned())),
                1 => Ok(Some(vec![v[0]; row])),
                n => Err(format!(
                    "{name} has {n} values for rows of {row} (axes {:?} of {:?})",
                    self.axes,
                    x.shape()
                )),
            }
        };
        let scale = values(if self.rms { "scale" } else { "gamma" }, &self.scale)?;
        let beta = values("beta", &self.beta)?;
        let out = if self.rms {
            rms_norm(x, &axes, self.epsilon, scale.as_deref())
        } else {
            layer_norm(
                x,
                &axes,
                self.epsilon,
                self.rms_scaling,
                scale.as_deref(),
                beta.as_deref(),
            )
        };
        Tensor::from_f32(x.shape().to_vec(), out).map_err(|e| e.to_string())
    }
}
