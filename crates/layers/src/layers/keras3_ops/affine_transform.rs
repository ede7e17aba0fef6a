//! Keras 3's `ops.image.affine_transform(images, transform)` of NHWC
//! images, as its TensorFlow backend computes it
//! (`ImageProjectiveTransformV3`, `tensorflow/core/kernels/image/
//! image_ops.h`): for output pixel `(x, y)` and transform `[a0, a1, a2,
//! b0, b1, b2, c0, c1]` (one row for the batch, or one per image), in
//! float32, `k = c0·x + c1·y + 1` (0: the fill value), the input point
//! `((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k)` mapped by the fill
//! mode (`constant` keeps it, `nearest` clamps it, `wrap` / `reflect`
//! fold it back as scipy does, then clamp), then the nearest pixel
//! (rounded half away from zero) or the bilinear mix of its four
//! neighbours, a pixel outside the image reading the fill value (so a
//! point just outside mixes the image with it: TensorFlow 2.21's kernel
//! has no separate out-of-image test). The transform is a constant of the file or the
//! op's second input. `channels_first` and single images (rank 3) are
//! refused when the model is built.
//!
//! Keras 3's `ops.image.perspective_transform(images, start_points,
//! end_points, interpolation, fill_value)` is the same kernel (fill mode
//! constant) with the homography its backend solves for
//! (`compute_homography_matrix`: the 8×8 system mapping each end point to
//! its start point, `tf.linalg.solve`), for constant points `[4, 2]` or
//! `[n, 4, 2]`. The solve is float32 in TensorFlow's order of operations
//! (Eigen's unblocked `PartialPivLU` and triangular solves, without fused
//! multiply-adds): a nearest-pixel sample sitting on a half-pixel
//! boundary goes the way TensorFlow's rounding sends it.

use super::super::common::*;
use super::super::tf_ops::constant_array;
use crate::config::ConfigReader;
use crate::{Shape, Tensor};
use serde_json::Value;

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fill {
    Constant,
    Nearest,
    Wrap,
    Reflect,
}

#[derive(Debug, Clone)]
pub(crate) struct AffineTransform {
    bilinear: bool,
    fill: Fill,
    fill_value: f32,
    /// The transform when the file holds it (else the second input).
    transform: Option<Tensor>,
}

/// `a x = b` for a row-major 8×8 `a`, in float32 as Eigen's
/// `PartialPivLU` computes it for TensorFlow's `MatrixSolve` (bit for bit
/// on the homographies checked): each column's first largest magnitude
/// pivot, the column below it divided by it, the trailing block updated
/// by `a - l·u`; then the row swaps applied to `b` and the two triangular
/// solves as Eigen runs them for a row-major right side (its transposed,
/// right-hand kernel): each product subtracted in turn, forward over
/// `L`'s row left to right, backward over `U`'s row from the diagonal
/// out, then times `1 / uᵢᵢ`. `None`: a zero pivot (TensorFlow: "Input
/// matrix is not invertible").
fn solve8(mut a: Vec<f32>, mut x: Vec<f32>) -> Option<Vec<f32>> {
    const N: usize = 8;
    let mut swaps = [0usize; N];
    for k in 0..N {
        let mut p = k;
        for i in k + 1..N {
            if a[i * N + k].abs() > a[p * N + k].abs() {
                p = i;
            }
        }
        swaps[k] = p;
        if a[p * N + k] == 0.0 {
            return None;
        }
        if p != k {
            for j in 0..N {
                a.swap(k * N + j, p * N + j);
            }
        }
        for i in k + 1..N {
            a[i * N + k] /= a[k * N + k];
        }
        for i in k + 1..N {
            for j in k + 1..N {
                a[i * N + j] -= a[i * N + k] * a[k * N + j];
            }
        }
    }
    for (k, &p) in swaps.iter().enumerate() {
        x.swap(k, p);
    }
    for j in 0..N {
        for k in 0..j {
            x[j] -= x[k] * a[j * N + k];
        }
    }
    for j in (0..N).rev() {
        for k in j + 1..N {
            x[j] -= x[k] * a[j * N + k];
        }
        x[j] *= 1.0 / a[j * N + j];
    }
    Some(x)
}

/// Argument `k` when the file holds it: `Some(None)` if it is not a
/// constant array, `None` for a tensor (or no argument).
fn constant_arg(args: &[Value], k: usize) -> Option<Option<Tensor>> {
    let t = args.get(k).filter(|t| {
        crate::topology::kwarg_tensor(t).is_none() && t["class_name"] != "__keras_tensor__"
    })?;
    Some(constant_array(t.pointer("/config/value").unwrap_or(t)))
}

/// `PerspectiveTransform`'s transforms `[n, 8]` from its constant start
/// and end points (arguments 1 and 2, `[4, 2]` or `[n, 4, 2]`).
fn homographies(args: &[Value]) -> Out<Tensor> {
    let points = |k: usize, what: &str| -> Out<Tensor> {
        constant_arg(args, k)
            .flatten()
            .filter(|t| matches!(t.shape(), [4, 2] | [_, 4, 2]))
            .ok_or_else(|| format!("{what}: expected a constant [4, 2] or [n, 4, 2] array"))
    };
    let (start, end) = (points(1, "start_points")?, points(2, "end_points")?);
    if start.shape() != end.shape() {
        return Err(format!(
            "start_points {:?} and end_points {:?} must have one shape",
            start.shape(),
            end.shape()
        ));
    }
    let (s, e) = (f32s(&start), f32s(&end));
    let mut rows = Vec::new();
    for (s, e) in s.chunks(8).zip(e.chunks(8)) {
        // Row pairs per point: [ex, ey, 1, 0, 0, 0, -sx·ex, -sx·ey] and
        // [0, 0, 0, ex, ey, 1, -sy·ex, -sy·ey] (products in float32).
        let mut a = Vec::with_capacity(64);
        let mut b = Vec::with_capacity(8);
        for p in 0..4 {
            let (sx, sy, ex, ey) = (s[2 * p], s[2 * p + 1], e[2 * p], e[2 * p + 1]);
            a.extend([ex, ey, 1.0, 0.0, 0.0, 0.0, -sx * ex, -sx * ey]);
            a.extend([0.0, 0.0, 0.0, ex, ey, 1.0, -sy * ex, -sy * ey]);
            b.extend([sx, sy]);
        }
        rows.extend(solve8(a, b).ok_or("the points give no homography (a zero pivot)")?);
    }
    Tensor::from_f32(vec![rows.len() / 8, 8], rows).map_err(|e| e.to_string())
}

impl AffineTransform {
    /// The Keras 3 operation `op` from its config and positional `args`
    /// (`None`: neither `AffineTransform` nor `PerspectiveTransform`).
    pub(crate) fn from_keras3(op: &str, c: &ConfigReader<'_>, args: &[Value]) -> Option<Out<Self>> {
        if !matches!(op, "AffineTransform" | "PerspectiveTransform") {
            return None;
        }
        Some((|| {
            match c.get("data_format").and_then(Value::as_str) {
                None | Some("channels_last") => {}
                Some(f) => return Err(format!("data_format {f}: only channels_last is supported")),
            }
            let bilinear = match c.get("interpolation").and_then(Value::as_str) {
                None | Some("bilinear") => true,
                Some("nearest") => false,
                Some(i) => return Err(format!("interpolation {i}: expected bilinear or nearest")),
            };
            let fill_value = match c.get("fill_value") {
                None | Some(Value::Null) => 0.0,
                Some(v) => v.as_f64().ok_or("fill_value: expected a number")? as f32,
            };
            if op == "PerspectiveTransform" {
                return Ok(AffineTransform {
                    bilinear,
                    fill: Fill::Constant,
                    fill_value,
                    transform: Some(homographies(args)?),
                });
            }
            let fill = match c.get("fill_mode").and_then(Value::as_str) {
                None | Some("constant") => Fill::Constant,
                Some("nearest") => Fill::Nearest,
                Some("wrap") => Fill::Wrap,
                Some("reflect") => Fill::Reflect,
                Some(m) => {
                    return Err(format!(
                        "fill_mode {m}: expected constant, nearest, wrap or reflect"
                    ))
                }
            };
            let transform = match constant_arg(args, 1) {
                Some(t) => Some(
                    t.filter(|t| matches!(t.shape(), [8] | [_, 8]))
                        .ok_or("transform: expected a constant [8] or [n, 8] array or a tensor")?,
                ),
                None => None,
            };
            Ok(AffineTransform {
                bilinear,
                fill,
                fill_value,
                transform,
            })
        })())
    }
    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        if x.len() != 4 {
            return Err(format!(
                "expects a batch of NHWC images, got {}",
                shape_str(x)
            ));
        }
        Ok(x.clone())
    }

    pub(crate) fn call(&self, x: &Tensor, transform: Option<&Tensor>) -> Out<Tensor> {
        let [b, h, w, c] = x.shape()[..] else {
            return Err(format!("expects NHWC images, got shape {:?}", x.shape()));
        };
        let t = match (&self.transform, transform) {
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => return Err("the transform (its second input) is missing".into()),
        };
        let rows = match t.shape() {
            [8] => 1,
            [n, 8] if *n == 1 || *n == b => *n,
            s => return Err(format!("transform of shape {s:?} for {b} images")),
        };
        let (t, input) = (f32s(t), f32s(x));
        let mut out = vec![self.fill_value; x.len()];
        for n in 0..b {
            let m = &t[if rows == 1 { 0 } else { n * 8 }..][..8];
            let image = &input[n * h * w * c..][..h * w * c];
            for oy in 0..h {
                for ox in 0..w {
                    let at = ((n * h + oy) * w + ox) * c;
                    self.pixel(m, image, [h, w, c], [oy, ox], &mut out[at..at + c]);
                }
            }
        }
        Tensor::from_f32(x.shape().to_vec(), out).map_err(|e| e.to_string())
    }

    /// Output pixel `(oy, ox)` of one image `[h, w, c]` (left as the fill
    /// value where the projection is 0).
    fn pixel(
        &self,
        m: &[f32],
        image: &[f32],
        [h, w, c]: [usize; 3],
        [oy, ox]: [usize; 2],
        out: &mut [f32],
    ) {
        let (fx, fy) = (ox as f32, oy as f32);
        let projection = m[6] * fx + m[7] * fy + 1.0;
        if projection == 0.0 {
            return;
        }
        let in_x = (m[0] * fx + m[1] * fy + m[2]) / projection;
        let in_y = (m[3] * fx + m[4] * fy + m[5]) / projection;
        let x = map_coordinate(self.fill, in_x, w as i64);
        let y = map_coordinate(self.fill, in_y, h as i64);
        let read = |yi: i64, xi: i64, ch: usize| {
            if (0..h as i64).contains(&yi) && (0..w as i64).contains(&xi) {
                image[(yi as usize * w + xi as usize) * c + ch]
            } else {
                self.fill_value
            }
        };
        for (ch, o) in out.iter_mut().enumerate() {
            *o = if self.bilinear {
                let (y0, x0) = (y.floor(), x.floor());
                let (y1, x1) = (y0 + 1.0, x0 + 1.0);
                let (iy0, ix0, iy1, ix1) = (y0 as i64, x0 as i64, y1 as i64, x1 as i64);
                let top = (x1 - x) * read(iy0, ix0, ch) + (x - x0) * read(iy0, ix1, ch);
                let bottom = (x1 - x) * read(iy1, ix0, ch) + (x - x0) * read(iy1, ix1, ch);
                (y1 - y) * top + (y - y0) * bottom
            } else {
                read(y.round() as i64, x.round() as i64, ch)
            };
        }
    }
}

/// TensorFlow's `MapCoordinate` for fill mode `fill` (scipy's rules), in
/// float32 with its integer truncations.
fn map_coordinate(fill: Fill, out_coord: f32, len: i64) -> f32 {
    let clamp = |v: f32| v.max(0.0).min((len - 1) as f32);
    let mut v = out_coord;
    match fill {
        Fill::Constant => return v,
        Fill::Nearest => return clamp(v),
        Fill::Reflect => {
            if v < 0.0 {
                if len <= 1 {
                    v = 0.0;
                } else {
                    let sz2 = 2 * len;
                    if v < sz2 as f32 {
                        v += (sz2 * (-v / sz2 as f32) as i64) as f32;
                    }
                    v = if v < -len as f32 {
                        v + sz2 as f32
                    } else {
                        -v - 1.0
                    };
                }
            } else if v > (len - 1) as f32 {
                if len <= 1 {
                    v = 0.0;
                } else {
                    let sz2 = 2 * len;
                    v -= (sz2 * (v / sz2 as f32) as i64) as f32;
                    if v >= len as f32 {
                        v = sz2 as f32 - v - 1.0;
                    }
                }
            }
        }
        Fill::Wrap => {
            if v < 0.0 {
                if len <= 1 {
                    v = 0.0;
                } else {
                    let sz = len - 1;
                    v += (len * ((-v / sz as f32) as i64 + 1)) as f32;
                }
            } else if v > (len - 1) as f32 {
                if len <= 1 {
                    v = 0.0;
                } else {
                    let sz = len - 1;
                    v -= (len * (v / sz as f32) as i64) as f32;
                }
            }
        }
    }
    clamp(v)
}
