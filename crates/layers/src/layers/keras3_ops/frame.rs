//! Keras 2's `tf.signal.frame(signal, frame_length, frame_step, pad_end,
//! pad_value, axis)`: overlapping windows of a signal (an audio front end's
//! first step), as TensorFlow computes them. Axis `axis` of size `n` becomes
//! two axes `[frames, frame_length]`, frame `f` holding elements `f · step
//! …` of it; without `pad_end` there are `max(0, 1 + (n - length) //
//! step)` frames, with it `ceil(n / step)`, the ones running past the end
//! filled with `pad_value`.

use super::super::common::*;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) length: usize,
    pub(crate) step: usize,
    pub(crate) pad_end: Option<f32>,
    axis: i64,
}

impl Frame {
    /// `tf.signal.frame`'s keyword arguments.
    pub(crate) fn from_tf(kwargs: &Map<String, Value>) -> std::result::Result<Frame, String> {
        let pad_end = match kwargs.get("pad_end") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(match kwargs.get("pad_value") {
                None | Some(Value::Null) => 0.0,
                Some(v) => v.as_f64().ok_or("pad_value: expected a number")? as f32,
            }),
            Some(_) => return Err("pad_end: expected a boolean".into()),
        };
        let axis = match kwargs.get("axis") {
            None | Some(Value::Null) => -1,
            Some(v) => v.as_i64().ok_or("axis: expected an integer")?,
        };
        Ok(Frame {
            length: super::center_window::positive_kwarg(kwargs, "frame_length")?,
            step: super::center_window::positive_kwarg(kwargs, "frame_step")?,
            pad_end,
            axis,
        })
    }

    /// Frames of `length` every `step` along `axis`, without padding
    /// (Keras 3's `ops.extract_sequences` along the last axis).
    pub(crate) fn new(length: usize, step: usize, axis: i64) -> Frame {
        Frame {
            length,
            step,
            pad_end: None,
            axis,
        }
    }

    /// The framed axis of a rank-`rank` input (never the batch axis).
    pub(crate) fn axis(&self, rank: usize) -> std::result::Result<usize, String> {
        let a = if self.axis < 0 {
            rank as i64 + self.axis
        } else {
            self.axis
        };
        if a < 1 || a >= rank as i64 {
            return Err(format!(
                "axis {} of a rank-{rank} input (the batch axis cannot be framed)",
                self.axis
            ));
        }
        Ok(a as usize)
    }

    pub(crate) fn frames(&self, n: usize) -> usize {
        match self.pad_end {
            Some(_) => n.div_ceil(self.step),
            None if n < self.length => 0,
            None => 1 + (n - self.length) / self.step,
        }
    }

    pub(crate) fn shape(&self, x: &Shape) -> std::result::Result<Shape, String> {
        let a = self.axis(x.len())?;
        let mut out = x[..a].to_vec();
        out.push(x[a].map(|n| self.frames(n)));
        out.push(Some(self.length));
        out.extend_from_slice(&x[a + 1..]);
        Ok(out)
    }

    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Tensor, String> {
        let shape = x.shape().to_vec();
        let a = self.axis(shape.len())?;
        let n = shape[a];
        let outer: usize = shape[..a].iter().product();
        let inner: usize = shape[a + 1..].iter().product();
        let frames = self.frames(n);
        let data = f32s(x);
        let mut out = Vec::with_capacity(outer * frames * self.length * inner);
        for o in 0..outer {
            for f in 0..frames {
                for k in 0..self.length {
                    let i = f * self.step + k;
                    if i < n {
                        let from = (o * n + i) * inner;
                        out.extend_from_slice(&data[from..from + inner]);
                    } else {
                        out.extend(std::iter::repeat_n(self.pad_end.unwrap_or(0.0), inner));
                    }
                }
            }
        }
        let mut out_shape = shape[..a].to_vec();
        out_shape.extend([frames, self.length]);
        out_shape.extend_from_slice(&shape[a + 1..]);
        Tensor::from_f32(out_shape, out).map_err(|e| e.to_string())
    }
}
