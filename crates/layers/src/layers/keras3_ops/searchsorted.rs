//! Keras 3's `ops.searchsorted(sorted_sequence, values, side)` with a
//! constant 1-D sequence (bin edges the file holds) and a tensor of values:
//! each value's insertion index, int32, as TensorFlow's `LowerBound` /
//! `UpperBound` kernels (`std::lower_bound` / `upper_bound`) find it:
//! `side="left"` counts the edges below the value, `"right"` the edges not
//! above it (a NaN value: 0 on the left, the sequence's length on the
//! right). The sequence is assumed sorted, as TensorFlow assumes.
//!
//! Keras 2's `tf.searchsorted(sorted_sequence, values, side)` is the same
//! rule: with a constant sequence (the call's constant first argument), or
//! with a tensor of sequences along the last axis, each row searched for
//! the values of the same row of `values` (leading axes equal, as
//! TensorFlow requires).

use super::super::common::f32s;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct SearchSorted {
    /// The constant sequence; `None`: a tensor of sequences, the first
    /// input (the values the second).
    edges: Option<std::sync::Arc<[f32]>>,
    right: bool,
}

/// A sequence of numbers (a constant 1-D array).
fn numbers(v: &Value) -> Option<Vec<f32>> {
    v.as_array()?
        .iter()
        .map(|v| v.as_f64().map(|f| f as f32))
        .collect()
}

/// `side`: `"left"` (false) or `"right"` (true).
fn side_is_right(side: &str) -> Out<bool> {
    match side {
        "left" => Ok(false),
        "right" => Ok(true),
        other => Err(format!("side \"{other}\": left or right")),
    }
}

impl SearchSorted {
    /// The Keras 3 operation `op` and its positional `args` (`None`: not
    /// `SearchSorted`).
    pub(crate) fn from_config(
        op: &str,
        c: &ConfigReader<'_>,
        args: &[Value],
    ) -> Option<Result<SearchSorted>> {
        (op == "SearchSorted").then(|| {
            let right = side_is_right(c.str_or("side", "left")?).map_err(|e| c.err("side", e))?;
            let edges = args
                .first()
                .filter(|a| crate::topology::kwarg_tensor(a).is_none())
                .map(|a| a.pointer("/config/value").unwrap_or(a))
                .and_then(numbers)
                .ok_or_else(|| {
                    c.err(
                        "args",
                        "searchsorted: sorted_sequence must be a constant 1-D array (a tensor \
                         sequence is not supported)",
                    )
                })?;
            if args
                .get(1)
                .is_none_or(|a| crate::topology::kwarg_tensor(a).is_none())
            {
                return Err(c.err("args", "searchsorted: values must be a tensor"));
            }
            Ok(SearchSorted {
                edges: Some(edges.into()),
                right,
            })
        })
    }

    /// `tf.searchsorted(sorted_sequence, values, side)` from its call's
    /// kwargs (`None`: another function).
    pub(crate) fn from_tf(
        function: &str,
        kwargs: &Map<String, Value>,
    ) -> Option<Out<SearchSorted>> {
        (function == "searchsorted").then(|| {
            let right = match kwargs.get("side") {
                None | Some(Value::Null) => false,
                Some(v) => side_is_right(v.as_str().ok_or("side: expected a string")?)?,
            };
            if kwargs
                .get("values")
                .is_none_or(|v| crate::topology::kwarg_tensor(v).is_none())
            {
                return Err("values: expected a tensor".into());
            }
            // A constant array, or a Python list of numbers (which Keras 2
            // saves as one constant per element, read as a list).
            let constant = kwargs
                .get("_CONSTANT_VALUE")
                .or_else(|| kwargs.get(crate::topology::FIRST_ARG_KWARG));
            let edges = match constant {
                None => None,
                Some(v) => Some(
                    numbers(v)
                        .ok_or(
                            "sorted_sequence: a constant sequence must be a 1-D array of numbers",
                        )?
                        .into(),
                ),
            };
            Ok(SearchSorted { edges, right })
        })
    }

    /// Each sample searched alone: a constant sequence, or rows of
    /// sequences (whose leading axes, the batch among them, the values
    /// share).
    pub(crate) fn per_sample(&self) -> bool {
        self.edges.is_some()
    }

    pub(crate) fn shape(&self, inputs: &[Shape]) -> Out<Shape> {
        let x = inputs.first().ok_or("needs an input")?;
        let Some(_) = &self.edges else {
            let v = inputs.get(1).ok_or("needs the values, a second input")?;
            let leading = |s: &Shape| s[..s.len().saturating_sub(1)].to_vec();
            let clash = x.is_empty()
                || x.len() != v.len()
                || leading(x)
                    .iter()
                    .zip(leading(v))
                    .any(|(a, b)| matches!((a, b), (Some(a), Some(b)) if *a != b));
            if clash {
                return Err(format!(
                    "sorted_sequence {x:?} and values {v:?} must have the same leading axes"
                ));
            }
            return Ok(v.clone());
        };
        Ok(x.clone())
    }

    /// `v`'s insertion index in the sorted `e`.
    fn index(&self, e: &[f32], v: f32) -> i32 {
        if self.right {
            // Not `s <= v`: a NaN value is "not below" every edge.
            e.partition_point(|&s| v.partial_cmp(&s) != Some(std::cmp::Ordering::Less)) as i32
        } else {
            e.partition_point(|&s| s < v) as i32
        }
    }

    pub(crate) fn call(&self, inputs: &[Tensor]) -> Out<Tensor> {
        let x = inputs.first().ok_or("needs an input")?;
        let Some(e) = &self.edges else {
            let v = inputs.get(1).ok_or("needs the values, a second input")?;
            let (xs, vs) = (x.shape(), v.shape());
            let (m, n) = (
                xs.last().copied().unwrap_or(0),
                vs.last().copied().unwrap_or(0),
            );
            if xs.is_empty()
                || xs.len() != vs.len()
                || xs[..xs.len() - 1] != vs[..vs.len() - 1]
                || m == 0 && n > 0
            {
                return Err(format!(
                    "sorted_sequence {xs:?} and values {vs:?} must have the same leading axes"
                ));
            }
            let (seq, vals) = (f32s(x), f32s(v));
            let idx = vals
                .iter()
                .enumerate()
                .map(|(i, &val)| {
                    let row = i / n;
                    self.index(&seq[row * m..(row + 1) * m], val)
                })
                .collect();
            return Tensor::from_i32(vs.to_vec(), idx).map_err(|err| err.to_string());
        };
        let idx = f32s(x).iter().map(|&v| self.index(e, v)).collect();
        Tensor::from_i32(x.shape().to_vec(), idx).map_err(|err| err.to_string())
    }
}
