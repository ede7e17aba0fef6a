//! Image operations on batched images `[batch, height, width, channels]`
//! (or `[batch, channels, height, width]` with `data_format:
//! "channels_first"`): the Keras 3 operations `ops.image.rgb_to_grayscale`,
//! `ops.image.pad_images`, `ops.image.crop_images`, `ops.image.rgb_to_hsv` /
//! `hsv_to_rgb` (`hsv.rs`), and the Keras 2 `tf.image.rgb_to_grayscale` /
//! `rgb_to_hsv` / `hsv_to_rgb` / `tf.image.per_image_standardization`, the
//! `tf.image.adjust_*` functions (`adjust.rs`), `crop_to_bounding_box` /
//! `pad_to_bounding_box` (a crop / pad by offsets and a target size) and
//! `tf.nn.local_response_normalization` (AlexNet's, over the channels of
//! NHWC images), both Kerases' `extract_patches` (`patches.rs`) and
//! `tf.image.central_crop` / `resize_with_crop_or_pad` (`center_window.rs`),
//! as TensorFlow computes them:
//!
//! - grayscale: `0.2989 r + 0.5870 g + 0.1140 b` over the channel axis,
//!   which keeps size 1 (TensorFlow's weights, a `tensordot` over 3
//!   channels);
//! - pad / crop: zeros added around (or rows and columns removed from) the
//!   height and width; a side left unset follows from `target_height` /
//!   `target_width` (pad: `target - size - other side`; crop: `size -
//!   target - other side`), as Keras resolves them;
//! - standardization: per image, `(x - mean) / max(std, 1/sqrt(n))` over
//!   its `n` values (population standard deviation);
//! - local response normalization: `x / (bias + alpha · Σ x²)^beta`, the
//!   sum over the channels within `depth_radius` of each one (clipped at
//!   the ends).
//!
//! Keras reads a rank-3 tensor as one unbatched image; a model's tensors
//! carry the batch axis, so only rank-4 inputs are accepted.

use super::super::common::*;
use super::center_window::CenterWindow;
use super::patches::Patches;
use crate::config::ConfigReader;
use crate::{Result, Shape, Tensor};
use serde_json::{Map, Value};

/// TensorFlow's `rgb_to_grayscale` weights.
const GRAY: [f32; 3] = [0.2989, 0.5870, 0.1140];

/// One side's amount: given, or derived from the target size.
type Sides = [Option<i64>; 3];

#[derive(Debug, Clone)]
pub(crate) enum ImageOp {
    Grayscale {
        channels_first: bool,
    },
    /// `tf.image.adjust_*` (`keras3_ops/adjust.rs`).
    Adjust(super::adjust::Adjust),
    /// RGB to HSV, or back (`keras3_ops/hsv.rs`).
    Hsv {
        to_rgb: bool,
        channels_first: bool,
    },
    /// `[top, bottom, target_height]`, `[left, right, target_width]`.
    PadCrop {
        crop: bool,
        height: Sides,
        width: Sides,
        channels_first: bool,
    },
    Standardize,
    /// `tf.nn.local_response_normalization`.
    Lrn {
        radius: usize,
        bias: f32,
        alpha: f32,
        beta: f32,
    },
    /// `ops.image.extract_patches` / `tf.image.extract_patches`
    /// (`keras3_ops/patches.rs`).
    Patches(Patches),
    /// `tf.image.central_crop` / `resize_with_crop_or_pad`
    /// (`keras3_ops/center_window.rs`).
    Center(CenterWindow),
}

pub(super) fn channels_first(c: &ConfigReader<'_>) -> Result<bool> {
    match c.get("data_format") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(s)) if s == "channels_last" => Ok(false),
        Some(Value::String(s)) if s == "channels_first" => Ok(true),
        Some(other) => Err(c.err(
            "data_format",
            format!("expected channels_last or channels_first, got {other}"),
        )),
    }
}

impl ImageOp {
    /// The Keras 3 operation `op` from its config (`None`: not one of these).
    pub(crate) fn from_config(op: &str, c: &ConfigReader<'_>) -> Option<Result<ImageOp>> {
        let (crop, prefix) = match op {
            "RGBToGrayscale" => {
                return Some(
                    channels_first(c).map(|channels_first| ImageOp::Grayscale { channels_first }),
                )
            }
            "RGBToHSV" | "HSVToRGB" => {
                return Some(channels_first(c).map(|channels_first| ImageOp::Hsv {
                    to_rgb: op == "HSVToRGB",
                    channels_first,
                }))
            }
            "ExtractPatches" => return Some(Patches::from_config(c).map(ImageOp::Patches)),
            "PadImages" => (false, "padding"),
            "CropImages" => (true, "cropping"),
            _ => return None,
        };
        Some((|| {
            let side = |k: String| -> Result<Option<i64>> {
                match c.get(&k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v
                        .as_i64()
                        .filter(|&n| n >= 0)
                        .map(Some)
                        .ok_or_else(|| c.err(&k, "expected a non-negative integer")),
                }
            };
            let sides = |a: &str, b: &str, t: &str| -> Result<Sides> {
                Ok([
                    side(format!("{a}_{prefix}"))?,
                    side(format!("{b}_{prefix}"))?,
                    side(t.to_string())?,
                ])
            };
            Ok(ImageOp::PadCrop {
                crop,
                height: sides("top", "bottom", "target_height")?,
                width: sides("left", "right", "target_width")?,
                channels_first: channels_first(c)?,
            })
        })())
    }

    /// The `tf.<function>` with this math (`None`: not one of these).
    pub(crate) fn from_tf(
        function: &str,
        kwargs: &Map<String, Value>,
    ) -> Option<std::result::Result<ImageOp, String>> {
        Some(Ok(match function {
            "image.extract_patches" => return Some(Patches::from_tf(kwargs).map(ImageOp::Patches)),
            f if CenterWindow::from_tf(f, kwargs).is_some() => {
                return CenterWindow::from_tf(f, kwargs).map(|r| r.map(ImageOp::Center))
            }
            "image.rgb_to_grayscale" => ImageOp::Grayscale {
                channels_first: false,
            },
            "image.per_image_standardization" => ImageOp::Standardize,
            f if super::adjust::Adjust::from_tf(f, kwargs).is_some() => {
                return super::adjust::Adjust::from_tf(f, kwargs).map(|r| r.map(ImageOp::Adjust))
            }
            "image.crop_to_bounding_box" | "image.pad_to_bounding_box" => {
                // The offset and the target size per axis; the far side
                // follows (`ImageOp::sides`).
                let int = |k: &str| -> Option<i64> {
                    kwargs.get(k).and_then(Value::as_i64).filter(|&n| n >= 0)
                };
                let side = |offset: &str, target: &str| -> Option<Sides> {
                    Some([Some(int(offset)?), None, Some(int(target)?)])
                };
                match (
                    side("offset_height", "target_height"),
                    side("offset_width", "target_width"),
                ) {
                    (Some(height), Some(width)) => ImageOp::PadCrop {
                        crop: function == "image.crop_to_bounding_box",
                        height,
                        width,
                        channels_first: false,
                    },
                    _ => {
                        return Some(Err(
                            "offsets and target sizes: expected non-negative integers".into(),
                        ))
                    }
                }
            }
            "image.rgb_to_hsv" | "image.hsv_to_rgb" => ImageOp::Hsv {
                to_rgb: function == "image.hsv_to_rgb",
                channels_first: false,
            },
            "nn.local_response_normalization" | "nn.lrn" => {
                // TensorFlow's defaults: depth_radius 5, bias 1, alpha 1, beta 0.5.
                let num = |k: &str, default: f64| -> std::result::Result<f64, String> {
                    match kwargs.get(k) {
                        None | Some(Value::Null) => Ok(default),
                        Some(v) => v.as_f64().ok_or_else(|| format!("{k}: expected a number")),
                    }
                };
                let radius = match num("depth_radius", 5.0) {
                    Ok(r) if r >= 0.0 && r.fract() == 0.0 && r <= 1e6 => r as usize,
                    Ok(_) => {
                        return Some(Err("depth_radius: expected a non-negative integer".into()))
                    }
                    Err(e) => return Some(Err(e)),
                };
                let read = || -> std::result::Result<[f32; 3], String> {
                    Ok([
                        num("bias", 1.0)? as f32,
                        num("alpha", 1.0)? as f32,
                        num("beta", 0.5)? as f32,
                    ])
                };
                match read() {
                    Ok([bias, alpha, beta]) => ImageOp::Lrn {
                        radius,
                        bias,
                        alpha,
                        beta,
                    },
                    Err(e) => return Some(Err(e)),
                }
            }
            _ => return None,
        }))
    }

    /// The (height, width, channels) axes of a rank-4 input.
    fn axes(&self, rank: usize) -> std::result::Result<[usize; 3], String> {
        if rank != 4 {
            return Err(format!(
                "expects batched images of rank 4, got rank {rank} (Keras reads rank 3 as one \
                 unbatched image)"
            ));
        }
        let first = matches!(
            self,
            ImageOp::Grayscale {
                channels_first: true
            } | ImageOp::Hsv {
                channels_first: true,
                ..
            } | ImageOp::PadCrop {
                channels_first: true,
                ..
            }
        );
        Ok(if first { [2, 3, 1] } else { [1, 2, 3] })
    }

    /// `(before, after)` along an axis of `size` for [`ImageOp::PadCrop`].
    fn sides(crop: bool, s: &Sides, size: usize) -> std::result::Result<(usize, usize), String> {
        let size = size as i64;
        let other = |given: i64, target: i64| {
            if crop {
                size - target - given
            } else {
                target - size - given
            }
        };
        let (a, b) = match *s {
            [Some(a), Some(b), None] => (a, b),
            [Some(a), None, Some(t)] => (a, other(a, t)),
            [None, Some(b), Some(t)] => (other(b, t), b),
            _ => {
                return Err(
                    "expects two of the two sides and the target size along each axis".into(),
                )
            }
        };
        if a < 0 || b < 0 || (crop && a + b > size) {
            return Err(format!(
                "sides {a} and {b} do not fit an axis of size {size}"
            ));
        }
        Ok((a as usize, b as usize))
    }

    /// Output shapes for input shape `x`.
    pub(crate) fn shapes(&self, x: &Shape) -> std::result::Result<Vec<Shape>, String> {
        match self {
            ImageOp::Patches(p) => return p.shapes(x),
            ImageOp::Center(w) => return w.shapes(x),
            ImageOp::Adjust(_) => {
                if x.len() != 4 {
                    return Err(format!("expects NHWC images, got {}", shape_str(x)));
                }
                return Ok(vec![x.clone()]);
            }
            _ => {}
        }
        let [h, w, c] = self.axes(x.len())?;
        let mut out = x.clone();
        match self {
            ImageOp::Grayscale { .. } => {
                if x[c].is_some_and(|n| n != 3) {
                    return Err(format!("expects 3 channels, got {}", shape_str(x)));
                }
                out[c] = Some(1);
            }
            ImageOp::Hsv { .. } => {
                if x[c].is_some_and(|n| n != 3) {
                    return Err(format!("expects 3 channels, got {}", shape_str(x)));
                }
            }
            ImageOp::PadCrop {
                crop,
                height,
                width,
                ..
            } => {
                for (axis, s) in [(h, height), (w, width)] {
                    out[axis] = match x[axis] {
                        Some(n) => {
                            let (a, b) = Self::sides(*crop, s, n)?;
                            Some(if *crop { n - a - b } else { n + a + b })
                        }
                        None => None,
                    };
                }
            }
            ImageOp::Standardize
            | ImageOp::Lrn { .. }
            | ImageOp::Patches(_)
            | ImageOp::Center(_)
            | ImageOp::Adjust(_) => {}
        }
        Ok(vec![out])
    }

    /// The output for input `x`.
    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Vec<Tensor>, String> {
        let shape = x.shape().to_vec();
        let [h, w, c] = self.axes(shape.len())?;
        let data = f32s(x);
        // Row-major strides of the input.
        let mut strides = [1usize; 4];
        for i in (0..3).rev() {
            strides[i] = strides[i + 1] * shape[i + 1];
        }
        let e = |r: Result<Tensor>| r.map_err(|e| e.to_string());
        Ok(vec![match self {
            ImageOp::Grayscale { .. } => {
                if shape[c] != 3 {
                    return Err(format!("expects 3 channels, got {shape:?}"));
                }
                let mut out_shape = shape.clone();
                out_shape[c] = 1;
                let n: usize = out_shape.iter().product();
                let mut out = Vec::with_capacity(n);
                // Every output position, in row-major order of the output.
                for flat in 0..n {
                    let mut rest = flat;
                    let mut base = 0;
                    for axis in (0..4).rev() {
                        let size = out_shape[axis];
                        base += (rest % size) * strides[axis];
                        rest /= size;
                    }
                    let v: f32 = (0..3).map(|k| data[base + k * strides[c]] * GRAY[k]).sum();
                    out.push(v);
                }
                e(Tensor::from_f32(out_shape, out))?
            }
            ImageOp::Hsv { to_rgb, .. } => {
                if shape[c] != 3 {
                    return Err(format!("expects 3 channels, got {shape:?}"));
                }
                let convert = if *to_rgb {
                    super::hsv::hsv_to_rgb
                } else {
                    super::hsv::rgb_to_hsv
                };
                let mut out = vec![0f32; data.len()];
                let sc = strides[c];
                // Every pixel: the positions with channel index 0.
                for base in (0..data.len()).filter(|i| (i / sc) % 3 == 0) {
                    let px = [data[base], data[base + sc], data[base + 2 * sc]];
                    for (k, v) in convert(px).into_iter().enumerate() {
                        out[base + k * sc] = v;
                    }
                }
                e(Tensor::from_f32(shape, out))?
            }
            ImageOp::PadCrop {
                crop,
                height,
                width,
                ..
            } => {
                let (t, b) = Self::sides(*crop, height, shape[h])?;
                let (l, r) = Self::sides(*crop, width, shape[w])?;
                let mut out_shape = shape.clone();
                if *crop {
                    out_shape[h] -= t + b;
                    out_shape[w] -= l + r;
                } else {
                    out_shape[h] += t + b;
                    out_shape[w] += l + r;
                }
                let n: usize = out_shape.iter().product();
                let mut out = Vec::with_capacity(n);
                for flat in 0..n {
                    let mut rest = flat;
                    let mut idx = [0usize; 4];
                    for axis in (0..4).rev() {
                        idx[axis] = rest % out_shape[axis];
                        rest /= out_shape[axis];
                    }
                    // The input position, if any, this output reads.
                    let src = |i: usize, before: usize, size: usize| -> Option<usize> {
                        if *crop {
                            Some(i + before)
                        } else {
                            i.checked_sub(before).filter(|&s| s < size)
                        }
                    };
                    let v = match (src(idx[h], t, shape[h]), src(idx[w], l, shape[w])) {
                        (Some(y), Some(xw)) => {
                            idx[h] = y;
                            idx[w] = xw;
                            data[idx.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()]
                        }
                        _ => 0.0,
                    };
                    out.push(v);
                }
                e(Tensor::from_f32(out_shape, out))?
            }
            ImageOp::Standardize => {
                let per = strides[0];
                let mut out = Vec::with_capacity(data.len());
                for img in data.chunks(per.max(1)) {
                    let n = img.len() as f64;
                    let mean = img.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
                    let var = img
                        .iter()
                        .map(|&v| (f64::from(v) - mean).powi(2))
                        .sum::<f64>()
                        / n;
                    let std = var.sqrt().max(1.0 / n.sqrt());
                    out.extend(img.iter().map(|&v| ((f64::from(v) - mean) / std) as f32));
                }
                e(Tensor::from_f32(shape, out))?
            }
            ImageOp::Patches(p) => return p.call(x),
            ImageOp::Center(w) => return w.call(x),
            ImageOp::Adjust(a) => a.call(x)?,
            ImageOp::Lrn {
                radius,
                bias,
                alpha,
                beta,
            } => {
                let depth = shape[3];
                let mut out = Vec::with_capacity(data.len());
                for px in data.chunks(depth.max(1)) {
                    for ch in 0..px.len() {
                        let lo = ch.saturating_sub(*radius);
                        let hi = (ch + radius + 1).min(px.len());
                        let sq: f32 = px[lo..hi].iter().map(|v| v * v).sum();
                        out.push(px[ch] / (bias + alpha * sq).powf(*beta));
                    }
                }
                e(Tensor::from_f32(shape, out))?
            }
        }])
    }
}

/// The 3x3 kernel TensorFlow multiplies the channel axis by in
/// `tf.image.rgb_to_yuv` / `yuv_to_rgb` / `rgb_to_yiq` / `yiq_to_rgb`
/// (`tensordot(images, kernel, [[-1], [0]])`, TensorFlow's constants),
/// row-major `[in, out]`. (The constants as TensorFlow writes them, rounded
/// to float32 as it converts them.)
#[allow(clippy::excessive_precision)]
pub(crate) fn color_kernel(function: &str) -> Option<[f32; 9]> {
    Some(match function {
        "image.rgb_to_yuv" => [
            0.299,
            -0.147_141_19,
            0.614_975_38,
            0.587,
            -0.288_869_16,
            -0.514_965_12,
            0.114,
            0.436_010_35,
            -0.100_010_26,
        ],
        "image.yuv_to_rgb" => [
            1.0,
            1.0,
            1.0,
            0.0,
            -0.394_642_334,
            2.032_061_85,
            1.139_883_03,
            -0.580_621_85,
            0.0,
        ],
        "image.rgb_to_yiq" => [
            0.299,
            0.595_900_59,
            0.2115,
            0.587,
            -0.274_556_67,
            -0.522_736_17,
            0.114,
            -0.321_343_92,
            0.311_199_55,
        ],
        "image.yiq_to_rgb" => [
            1.0,
            1.0,
            1.0,
            0.955_986_34,
            -0.272_012_83,
            -1.106_740_21,
            0.620_824_8,
            -0.647_204_24,
            1.704_230_49,
        ],
        _ => return None,
    })
}
