//! `repeat(x, repeats, axis)`: Keras 3's `ops.repeat` (a `Repeat` node) and
//! tf_keras's `tf.repeat` (a `TFOpLambda`). Each element along `axis` is
//! repeated `repeats` times (one count for all, or one per element); with
//! no axis, the input is flattened first (batch included, as NumPy and
//! TensorFlow do).

use super::int_list;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

/// One `repeat` call.
#[derive(Debug, Clone)]
pub(crate) struct Repeat {
    /// One count, or one per element along the axis.
    counts: Vec<usize>,
    /// `None`: the flattened input.
    axis: Option<i64>,
}

/// The most one count may be (a config should not ask for a huge output).
const MAX_COUNT: i64 = 1 << 20;

impl Repeat {
    fn read(repeats: Option<&Value>, axis: Option<&Value>) -> std::result::Result<Repeat, String> {
        let counts = int_list(repeats)
            .filter(|r| !r.is_empty() && r.iter().all(|&n| (0..=MAX_COUNT).contains(&n)))
            .ok_or("repeats: expected a count or a list of counts (not a tensor)")?;
        let axis = match axis {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or("axis: expected an integer")?),
        };
        Ok(Repeat {
            counts: counts.into_iter().map(|n| n as usize).collect(),
            axis,
        })
    }

    /// `ops.repeat` from its node's config.
    pub(crate) fn from_config(c: &ConfigReader<'_>) -> Result<Repeat> {
        Repeat::read(c.get("repeats"), c.get("axis")).map_err(|e| c.err("repeats", e))
    }

    /// `tf.repeat` from its call's kwargs.
    pub(crate) fn from_tf(kwargs: &Map<String, Value>) -> std::result::Result<Repeat, String> {
        if kwargs
            .get("repeats")
            .is_some_and(|r| crate::topology::kwarg_tensor(r).is_some())
        {
            return Err("repeats: a tensor of counts is not supported (a list is)".into());
        }
        Repeat::read(kwargs.get("repeats"), kwargs.get("axis"))
    }

    /// The repeated axis (the flattened input's only one) of a rank-`rank`
    /// input.
    fn axis(&self, rank: usize) -> std::result::Result<Option<usize>, String> {
        self.axis.map(|a| super::axis_of(a, rank, 0)).transpose()
    }

    /// The new size of an axis of size `n` (unknown: `None`).
    fn grown(&self, n: Option<usize>) -> std::result::Result<Option<usize>, String> {
        match (&self.counts[..], n) {
            ([r], n) => Ok(n.map(|n| n * r)),
            (counts, Some(n)) if counts.len() != n => Err(format!(
                "{} repeats for an axis of {n} elements",
                counts.len()
            )),
            (counts, _) => Ok(Some(counts.iter().sum())),
        }
    }

    /// The output shape for input shape `x`.
    pub(crate) fn shape(&self, x: &Shape) -> std::result::Result<Shape, String> {
        match self.axis(x.len())? {
            Some(a) => {
                let mut out = x.clone();
                out[a] = self.grown(x[a])?;
                Ok(out)
            }
            None => {
                let total = x.iter().try_fold(1usize, |acc, d| d.map(|d| acc * d));
                Ok(vec![self.grown(total)?])
            }
        }
    }

    /// The values for input `x`.
    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Tensor, String> {
        let s = x.shape();
        let (outer, n, inner, mut shape) = match self.axis(s.len())? {
            Some(a) => (
                s[..a].iter().product::<usize>(),
                s[a],
                s[a + 1..].iter().product::<usize>(),
                s.to_vec(),
            ),
            None => (1, x.len(), 1, vec![x.len()]),
        };
        let a = self.axis(s.len())?.unwrap_or(0);
        shape[a] = self.grown(Some(n))?.unwrap_or(0);
        let count = |j: usize| self.counts[if self.counts.len() == 1 { 0 } else { j }];
        let v = super::f32s(x);
        let mut out = Vec::with_capacity(shape.iter().product());
        for o in 0..outer {
            for j in 0..n {
                let block = &v[(o * n + j) * inner..][..inner];
                for _ in 0..count(j) {
                    out.extend_from_slice(block);
                }
            }
        }
        Tensor::from_f32(shape, out).map_err(|e| e.to_string())
    }
}
