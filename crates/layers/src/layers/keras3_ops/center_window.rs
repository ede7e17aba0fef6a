//! Centered crops and pads of NHWC images, Keras 2's
//! `tf.image.central_crop(image, central_fraction)` and
//! `tf.image.resize_with_crop_or_pad(image, target_height, target_width)`,
//! as TensorFlow computes them: each output row (column) `i` reads input
//! row `i + offset`, zero outside the input.
//!
//! - `central_crop`: `start = int((n - n · fraction) / 2)` (in float64,
//!   truncated), the output keeps `n - 2 · start` rows from `start`;
//!   `fraction` is in `(0, 1]`.
//! - `resize_with_crop_or_pad`: a larger input is cropped from `(n - t) //
//!   2`, a smaller one padded with `(t - n) // 2` zeros before it; the
//!   output has `t` rows.

use super::super::common::*;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};

/// A `tf.*` call's keyword argument `k` as a positive integer constant.
pub(super) fn positive_kwarg(kwargs: &Map<String, Value>, k: &str) -> Result<usize, String> {
    kwargs
        .get(k)
        .and_then(Value::as_u64)
        .filter(|&n| n > 0 && n <= 1 << 24)
        .map(|n| n as usize)
        .ok_or_else(|| format!("{k}: expected a positive integer constant"))
}

#[derive(Debug, Clone)]
pub(crate) enum CenterWindow {
    Fraction(f64),
    Target([usize; 2]),
}

impl CenterWindow {
    /// The `tf.image.<function>`'s keyword arguments (`None`: not one of these).
    pub(crate) fn from_tf(
        function: &str,
        kwargs: &Map<String, Value>,
    ) -> Option<std::result::Result<CenterWindow, String>> {
        Some(match function {
            "image.central_crop" => match kwargs.get("central_fraction").and_then(Value::as_f64) {
                Some(f) if f > 0.0 && f <= 1.0 => Ok(CenterWindow::Fraction(f)),
                _ => Err("central_fraction: expected a constant in (0, 1]".into()),
            },
            "image.resize_with_crop_or_pad" => {
                positive_kwarg(kwargs, "target_height").and_then(|h| {
                    Ok(CenterWindow::Target([
                        h,
                        positive_kwarg(kwargs, "target_width")?,
                    ]))
                })
            }
            _ => return None,
        })
    }

    /// (output size, offset of the input row output row 0 reads) along
    /// spatial axis `a` (0 height, 1 width) of size `n`.
    fn window(&self, a: usize, n: usize) -> (usize, isize) {
        match self {
            CenterWindow::Fraction(f) => {
                let nf = n as f64;
                let start = ((nf - nf * f) / 2.0) as usize;
                (n.saturating_sub(2 * start), start as isize)
            }
            CenterWindow::Target(t) => {
                let t = t[a];
                if t <= n {
                    (t, ((n - t) / 2) as isize)
                } else {
                    (t, -(((t - n) / 2) as isize))
                }
            }
        }
    }

    /// `([pad before, pad after], [crop before, crop after])` along spatial
    /// axis `a` of size `n` (one of the two pairs is zeros): the window as
    /// `ZeroPadding2D` then `Cropping2D`.
    pub(crate) fn pad_crop(&self, a: usize, n: usize) -> ([usize; 2], [usize; 2]) {
        let (out, offset) = self.window(a, n);
        if offset >= 0 {
            let start = offset as usize;
            ([0, 0], [start, n.saturating_sub(start + out)])
        } else {
            let before = offset.unsigned_abs();
            ([before, out.saturating_sub(before + n)], [0, 0])
        }
    }

    fn check_rank(rank: usize) -> std::result::Result<(), String> {
        if rank == 4 {
            Ok(())
        } else {
            Err(format!(
                "expects batched images [batch, height, width, channels], got rank {rank}"
            ))
        }
    }

    pub(crate) fn shapes(&self, x: &Shape) -> std::result::Result<Vec<Shape>, String> {
        Self::check_rank(x.len())?;
        let mut out = x.clone();
        for a in 0..2 {
            out[a + 1] = match (x[a + 1], self) {
                (Some(n), _) => Some(self.window(a, n).0),
                (None, CenterWindow::Target(t)) => Some(t[a]),
                (None, CenterWindow::Fraction(_)) => None,
            };
        }
        if out[1] == Some(0) || out[2] == Some(0) {
            return Err(format!("crops {} to an empty image", shape_str(x)));
        }
        Ok(vec![out])
    }

    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Vec<Tensor>, String> {
        let shape = x.shape().to_vec();
        Self::check_rank(shape.len())?;
        let [b, h, w, c] = [shape[0], shape[1], shape[2], shape[3]];
        let (oh, dy) = self.window(0, h);
        let (ow, dx) = self.window(1, w);
        if oh == 0 || ow == 0 {
            return Err(format!("crops {shape:?} to an empty image"));
        }
        let data = f32s(x);
        let mut out = vec![0f32; b * oh * ow * c];
        let inside =
            |i: usize, d: isize, n: usize| usize::try_from(i as isize + d).ok().filter(|&s| s < n);
        for n in 0..b {
            for y in 0..oh {
                let Some(sy) = inside(y, dy, h) else { continue };
                for xo in 0..ow {
                    let Some(sx) = inside(xo, dx, w) else {
                        continue;
                    };
                    let from = ((n * h + sy) * w + sx) * c;
                    let to = ((n * oh + y) * ow + xo) * c;
                    out[to..to + c].copy_from_slice(&data[from..from + c]);
                }
            }
        }
        Tensor::from_f32(vec![b, oh, ow, c], out)
            .map(|t| vec![t])
            .map_err(|e| e.to_string())
    }
}
