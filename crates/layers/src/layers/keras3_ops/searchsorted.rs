//! Keras 3's `ops.searchsorted(sorted_sequence, values, side)` with a
//! constant 1-D sequence (bin edges the file holds) and a tensor of values:
//! each value's insertion index, int32, as TensorFlow's `LowerBound` /
//! `UpperBound` kernels (`std::lower_bound` / `upper_bound`) find it:
//! `side="left"` counts the edges below the value, `"right"` the edges not
//! above it (a NaN value: 0 on the left, the sequence's length on the
//! right). The sequence is assumed sorted, as TensorFlow assumes.

use super::super::common::f32s;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct SearchSorted {
    edges: std::sync::Arc<[f32]>,
    right: bool,
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
            let right = match c.str_or("side", "left")? {
                "left" => false,
                "right" => true,
                other => return Err(c.err("side", format!("\"{other}\": left or right"))),
            };
            let edges = args
                .first()
                .filter(|a| crate::topology::kwarg_tensor(a).is_none())
                .map(|a| a.pointer("/config/value").unwrap_or(a))
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .map(|v| v.as_f64().map(|f| f as f32))
                        .collect::<Option<Vec<f32>>>()
                })
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
                edges: edges.into(),
                right,
            })
        })
    }

    pub(crate) fn shape(&self, x: &Shape) -> Shape {
        x.clone()
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        let e = &self.edges;
        let idx = f32s(x)
            .iter()
            .map(|&v| {
                if self.right {
                    // Not `s <= v`: a NaN value is "not below" every edge.
                    e.partition_point(|&s| v.partial_cmp(&s) != Some(std::cmp::Ordering::Less))
                        as i32
                } else {
                    e.partition_point(|&s| s < v) as i32
                }
            })
            .collect();
        Tensor::from_i32(x.shape().to_vec(), idx).map_err(|err| err.to_string())
    }
}
