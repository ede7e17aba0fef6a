//! Image patches as channels (a ViT's patch embedding input): Keras 3's
//! `ops.image.extract_patches(images, size, strides, dilation_rate,
//! padding, data_format)` and Keras 2's `tf.image.extract_patches(images,
//! sizes, strides, rates, padding)`, as TensorFlow computes them:
//!
//! - output `[batch, out_h, out_w, size_h · size_w · channels]` (channels
//!   first for Keras 3's `data_format: "channels_first"`: `[batch, size_h ·
//!   size_w · channels, out_h, out_w]`), each patch flattened in (row,
//!   column, channel) order;
//! - patch `(i, j)` of output position `(y, x)` reads input row `y · stride
//!   + i · rate - pad_top` (and the same for columns), zero outside;
//! - `valid`: `out = ceil((size - (k - 1) · rate) / stride)`, no padding;
//!   `same`: `out = ceil(size / stride)`, padding `max((out - 1) · stride +
//!   (k - 1) · rate + 1 - size, 0)` split with the smaller half first.
//!
//! Keras 3 computes it as a convolution with a one-hot kernel: its values
//! are the same. Only rank-4 (batched) images are accepted.

use super::super::common::*;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) struct Patches {
    pub(crate) size: [usize; 2],
    pub(crate) strides: [usize; 2],
    pub(crate) rates: [usize; 2],
    pub(crate) same: bool,
    pub(crate) channels_first: bool,
}

/// A positive int, or a pair of them (Keras 3's `size`, `strides`,
/// `dilation_rate`).
fn pair(v: &Value) -> Option<[usize; 2]> {
    let pos = |v: &Value| {
        v.as_u64()
            .filter(|&n| n > 0 && n <= 1 << 20)
            .map(|n| n as usize)
    };
    match v {
        Value::Array(a) if a.len() == 2 => Some([pos(&a[0])?, pos(&a[1])?]),
        v => pos(v).map(|n| [n, n]),
    }
}

/// TensorFlow's `[1, h, w, 1]` (`sizes`, `strides`, `rates`).
fn nhwc(v: &Value) -> Option<[usize; 2]> {
    match v.as_array()?.as_slice() {
        [one, h, w, one2] if one.as_u64() == Some(1) && one2.as_u64() == Some(1) => {
            pair(&Value::Array(vec![h.clone(), w.clone()]))
        }
        _ => None,
    }
}

fn padding(v: Option<&Value>) -> Option<bool> {
    match v?.as_str()?.to_ascii_lowercase().as_str() {
        "same" => Some(true),
        "valid" => Some(false),
        _ => None,
    }
}

impl Patches {
    /// Keras 3's `ExtractPatches` config.
    pub(crate) fn from_config(c: &ConfigReader<'_>) -> Result<Patches> {
        let read = |k: &str, default: Option<[usize; 2]>| -> Result<[usize; 2]> {
            match c.get(k) {
                None | Some(Value::Null) => {
                    default.ok_or_else(|| c.err(k, "expected a positive int or a pair"))
                }
                Some(v) => pair(v).ok_or_else(|| c.err(k, "expected a positive int or a pair")),
            }
        };
        let size = read("size", None)?;
        let channels_first = super::image::channels_first(c)?;
        Ok(Patches {
            size,
            strides: read("strides", Some(size))?,
            rates: read("dilation_rate", Some([1, 1]))?,
            same: padding(c.get("padding").or(Some(&Value::from("valid"))))
                .ok_or_else(|| c.err("padding", "expected \"valid\" or \"same\""))?,
            channels_first,
        })
    }

    /// `tf.image.extract_patches`'s keyword arguments.
    pub(crate) fn from_tf(kwargs: &Map<String, Value>) -> std::result::Result<Patches, String> {
        let read = |k: &str| {
            kwargs
                .get(k)
                .and_then(nhwc)
                .ok_or_else(|| format!("{k}: expected [1, h, w, 1] of positive ints"))
        };
        Ok(Patches {
            size: read("sizes")?,
            strides: read("strides")?,
            rates: read("rates")?,
            same: padding(kwargs.get("padding"))
                .ok_or_else(|| "padding: expected \"VALID\" or \"SAME\"".to_string())?,
            channels_first: false,
        })
    }

    /// The (height, width, channels) axes of a rank-4 input.
    fn axes(&self, rank: usize) -> std::result::Result<[usize; 3], String> {
        if rank != 4 {
            return Err(format!(
                "extract_patches expects batched images of rank 4, got rank {rank}"
            ));
        }
        Ok(if self.channels_first {
            [2, 3, 1]
        } else {
            [1, 2, 3]
        })
    }

    /// (output size, padding before) along spatial axis `a` of size `n`.
    fn out_len(&self, a: usize, n: usize) -> std::result::Result<(usize, usize), String> {
        self.pads(a, n).map(|(out, before, _)| (out, before))
    }

    /// (output size, padding before, padding after) along spatial axis `a`
    /// of size `n` (also `rewrite/extract_patches.rs`).
    pub(crate) fn pads(
        &self,
        a: usize,
        n: usize,
    ) -> std::result::Result<(usize, usize, usize), String> {
        let (k, s) = ((self.size[a] - 1) * self.rates[a] + 1, self.strides[a]);
        if self.same {
            let out = n.div_ceil(s);
            let total = ((out.max(1) - 1) * s + k).saturating_sub(n);
            Ok((out, total / 2, total - total / 2))
        } else if n < k {
            Err(format!(
                "a patch spans {k} along an axis of size {n} with padding \"valid\""
            ))
        } else {
            Ok(((n - k) / s + 1, 0, 0))
        }
    }

    pub(crate) fn shapes(&self, x: &Shape) -> std::result::Result<Vec<Shape>, String> {
        let [h, w, c] = self.axes(x.len())?;
        let mut out = x.clone();
        for (a, axis) in [h, w].into_iter().enumerate() {
            out[axis] = match x[axis] {
                Some(n) => Some(self.out_len(a, n)?.0),
                None => None,
            };
        }
        out[c] = x[c].map(|n| n * self.size[0] * self.size[1]);
        Ok(vec![out])
    }

    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Vec<Tensor>, String> {
        let shape = x.shape().to_vec();
        let [h, w, c] = self.axes(shape.len())?;
        let (oh, top) = self.out_len(0, shape[h])?;
        let (ow, left) = self.out_len(1, shape[w])?;
        let (batch, ch) = (shape[0], shape[c]);
        let depth = self.size[0] * self.size[1] * ch;
        let data = f32s(x);
        let mut strides = [1usize; 4];
        for i in (0..3).rev() {
            strides[i] = strides[i + 1] * shape[i + 1];
        }
        let mut out_shape = shape.clone();
        out_shape[h] = oh;
        out_shape[w] = ow;
        out_shape[c] = depth;
        let mut out = vec![0f32; out_shape.iter().product()];
        let mut ostrides = [1usize; 4];
        for i in (0..3).rev() {
            ostrides[i] = ostrides[i + 1] * out_shape[i + 1];
        }
        // The input row (or column) a patch offset reads, if inside.
        let src = |o: usize, i: usize, a: usize, pad: usize, n: usize| {
            (o * self.strides[a] + i * self.rates[a])
                .checked_sub(pad)
                .filter(|&p| p < n)
        };
        for b in 0..batch {
            for y in 0..oh {
                for xo in 0..ow {
                    let base = b * ostrides[0] + y * ostrides[h] + xo * ostrides[w];
                    for i in 0..self.size[0] {
                        let Some(r) = src(y, i, 0, top, shape[h]) else {
                            continue;
                        };
                        for j in 0..self.size[1] {
                            let Some(col) = src(xo, j, 1, left, shape[w]) else {
                                continue;
                            };
                            let from = b * strides[0] + r * strides[h] + col * strides[w];
                            let k0 = (i * self.size[1] + j) * ch;
                            for k in 0..ch {
                                out[base + (k0 + k) * ostrides[c]] = data[from + k * strides[c]];
                            }
                        }
                    }
                }
            }
        }
        Tensor::from_f32(out_shape, out)
            .map(|t| vec![t])
            .map_err(|e| e.to_string())
    }
}
