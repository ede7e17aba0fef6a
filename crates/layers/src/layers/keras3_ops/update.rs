//! Writing values into a tensor at constant places, as Keras's TensorFlow
//! backend does: Keras 3's `ops.slice_update(inputs, start_indices,
//! updates)` (XLA's `DynamicUpdateSlice`: the block `updates` written
//! from `start_indices`, each start clamped so the block fits) and
//! `ops.scatter_update(inputs, indices, updates, reduction)`, Keras 2's
//! `tf.tensor_scatter_nd_update` / `_add` / `_sub` / `_max` / `_min`
//! (TensorFlow's `TensorScatter*`: `indices` `[.., depth]` pick slices
//! `inputs[i₀, …, i_depth-1]`, each replaced by (or combined with) its
//! row of `updates`, shape `indices.shape[:-1] + inputs.shape[depth:]`;
//! an index outside the input is an error, as on TensorFlow's CPU; of
//! repeated indices the last update wins). The indices are constants the
//! file holds; `updates` is a constant or the second input.

use super::super::common::f32s;
use super::super::tf_ops::constant_array;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};
use std::sync::Arc;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Combine {
    Replace,
    Add,
    Sub,
    Mul,
    Max,
    Min,
}

#[derive(Debug, Clone)]
enum Kind {
    /// The block's first element, batch axis included.
    Slice(Vec<i64>),
    /// `[n, depth]` indices, flattened.
    Scatter {
        indices: Vec<i64>,
        /// The leading shape of `indices` (without depth).
        lead: Vec<usize>,
        depth: usize,
        combine: Combine,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Update {
    kind: Kind,
    /// A constant `updates`; `None`: the second input.
    updates: Option<Arc<Tensor>>,
}

/// Integers of a constant (a list or a NumPy array), with its shape.
fn const_ints(v: &Value) -> Option<(Vec<i64>, Vec<usize>)> {
    let t = constant_array(v.pointer("/config/value").unwrap_or(v))?;
    let ints = f32s(&t).iter().map(|&f| f as i64).collect();
    Some((ints, t.shape().to_vec()))
}

fn updates_of(v: Option<&Value>) -> Out<Option<Arc<Tensor>>> {
    match v {
        Some(u) if crate::topology::kwarg_tensor(u).is_some() => Ok(None),
        Some(u) => match u.pointer("/config/value").unwrap_or(u) {
            Value::Number(n) => Ok(Some(Arc::new(
                Tensor::from_f32(Vec::new(), vec![n.as_f64().unwrap_or(0.0) as f32])
                    .map_err(|e| e.to_string())?,
            ))),
            w => constant_array(w)
                .map(|t| Some(Arc::new(t)))
                .ok_or_else(|| "updates: expected a tensor or a constant array".to_string()),
        },
        None => Err("updates is missing".into()),
    }
}

fn scatter(indices: &Value, combine: Combine, updates: Option<&Value>) -> Out<Update> {
    let (ints, shape) =
        const_ints(indices).ok_or("indices: expected a constant array of integers")?;
    let [lead @ .., depth] = shape.as_slice() else {
        return Err("indices: expected at least one axis ([.., depth])".into());
    };
    Ok(Update {
        kind: Kind::Scatter {
            indices: ints,
            lead: lead.to_vec(),
            depth: *depth,
            combine,
        },
        updates: updates_of(updates)?,
    })
}

impl Update {
    /// The Keras 3 operation `op` and its positional `args` (`None`: not
    /// one of these).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Result<Update>> {
        match op {
            "SliceUpdate" => Some((|| {
                let start = args
                    .get(1)
                    .filter(|a| crate::topology::kwarg_tensor(a).is_none())
                    .and_then(const_ints)
                    .filter(|(_, s)| s.len() == 1)
                    .map(|(start, _)| start)
                    .ok_or_else(|| {
                        c.err(
                            "args",
                            "slice_update: start_indices must be constant integers",
                        )
                    })?;
                Ok(Update {
                    kind: Kind::Slice(start),
                    updates: updates_of(args.get(2)).map_err(|e| c.err("args", e))?,
                })
            })()),
            "ScatterUpdate" => Some((|| {
                let combine = match c.get("reduction").and_then(Value::as_str) {
                    None => Combine::Replace,
                    Some("add") => Combine::Add,
                    Some("max") => Combine::Max,
                    Some("min") => Combine::Min,
                    Some("mul") => Combine::Mul,
                    Some(other) => {
                        return Err(c.err(
                            "reduction",
                            format!("\"{other}\": None, add, max, min or mul"),
                        ))
                    }
                };
                let indices = args
                    .get(1)
                    .filter(|a| crate::topology::kwarg_tensor(a).is_none())
                    .ok_or_else(|| {
                        c.err("args", "scatter_update: indices must be a constant array")
                    })?;
                scatter(indices, combine, args.get(2)).map_err(|e| c.err("args", e))
            })()),
            _ => None,
        }
    }

    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<Update>> {
        let combine = match function {
            "tensor_scatter_nd_update" => Combine::Replace,
            "tensor_scatter_nd_add" => Combine::Add,
            "tensor_scatter_nd_sub" => Combine::Sub,
            "tensor_scatter_nd_max" => Combine::Max,
            "tensor_scatter_nd_min" => Combine::Min,
            _ => return None,
        };
        Some((|| {
            let indices = kwargs
                .get("indices")
                .filter(|a| crate::topology::kwarg_tensor(a).is_none())
                .ok_or("indices: expected a constant array of integers")?;
            scatter(indices, combine, kwargs.get("updates"))
        })())
    }

    pub(crate) fn shape(&self, x: &Shape, updates: Option<&Shape>) -> Out<Shape> {
        if self.updates.is_none() && updates.is_none() {
            return Err("the updates tensor is missing".into());
        }
        match &self.kind {
            Kind::Slice(start) if start.len() != x.len() => Err(format!(
                "{} start indices for a rank-{} input",
                start.len(),
                x.len()
            )),
            Kind::Scatter { depth, .. } if *depth > x.len() || *depth == 0 => Err(format!(
                "indices of depth {depth} for a rank-{} input",
                x.len()
            )),
            _ => Ok(x.clone()),
        }
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let x = inputs.first().ok_or("needs an input")?;
        let u: &Tensor = match &self.updates {
            Some(t) => t,
            None => inputs.get(1).ok_or("the updates tensor is missing")?,
        };
        let shape = x.shape().to_vec();
        let mut out = f32s(x).to_vec();
        let uv = f32s(u);
        let mut strides = vec![1usize; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        match &self.kind {
            Kind::Slice(start) => {
                let us = u.shape();
                if us.len() != shape.len() || us.iter().zip(&shape).any(|(a, b)| a > b) {
                    return Err(format!(
                        "slice_update: updates of shape {us:?} do not fit an input of shape {shape:?}"
                    ));
                }
                // XLA clamps each start so the block fits.
                let origin: Vec<usize> = start
                    .iter()
                    .zip(&shape)
                    .zip(us)
                    .map(|((&s, &n), &k)| s.clamp(0, (n - k) as i64) as usize)
                    .collect();
                for (i, &v) in uv.iter().enumerate() {
                    let (mut rest, mut at) = (i, 0);
                    for d in (0..us.len()).rev() {
                        at += (origin[d] + rest % us[d]) * strides[d];
                        rest /= us[d];
                    }
                    out[at] = v;
                }
            }
            Kind::Scatter {
                indices,
                lead,
                depth,
                combine,
            } => {
                let n: usize = lead.iter().product();
                let slice: usize = shape[*depth..].iter().product();
                let mut want = lead.clone();
                want.extend_from_slice(&shape[*depth..]);
                let (us, scalar) = (u.shape(), u.shape().is_empty());
                if !scalar && us != want.as_slice() {
                    return Err(format!(
                        "updates of shape {us:?}, expected {want:?} (indices {lead:?} + the \
                         input's slice)"
                    ));
                }
                for r in 0..n {
                    let idx = &indices[r * depth..(r + 1) * depth];
                    let mut at = 0;
                    for (d, &i) in idx.iter().enumerate() {
                        if i < 0 || i as usize >= shape[d] {
                            return Err(format!(
                                "index {idx:?} does not index into shape {shape:?}"
                            ));
                        }
                        at += i as usize * strides[d];
                    }
                    for k in 0..slice {
                        let v = if scalar { uv[0] } else { uv[r * slice + k] };
                        let o = &mut out[at + k];
                        *o = match combine {
                            Combine::Replace => v,
                            Combine::Add => *o + v,
                            Combine::Sub => *o - v,
                            Combine::Mul => *o * v,
                            Combine::Max => o.max(v),
                            Combine::Min => o.min(v),
                        };
                    }
                }
            }
        }
        Tensor::from_f32(shape, out).map_err(|e| e.to_string())
    }
}
