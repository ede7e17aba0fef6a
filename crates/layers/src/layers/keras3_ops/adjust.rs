//! Keras 2's `tf.image.adjust_brightness` / `adjust_contrast` /
//! `adjust_saturation` / `adjust_gamma` of float NHWC images, as
//! TensorFlow computes them:
//!
//! - brightness: `x + delta`;
//! - contrast: per image and channel, `(x - mean) · factor + mean`, the
//!   mean over height and width;
//! - saturation: per pixel, the saturation of its HSV form (`hsv.rs`)
//!   times the factor, clamped to `[0, 1]`, back to RGB;
//! - gamma: `gain · x^gamma`.
//!
//! Constant factors only (a tensor factor is refused when the model is
//! built). `tf.image.crop_to_bounding_box` / `pad_to_bounding_box` are
//! `ImageOp::PadCrop` (`image.rs`).

use super::super::common::*;
use crate::Tensor;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Adjust {
    Brightness(f32),
    Contrast(f32),
    Saturation(f32),
    Gamma { gamma: f32, gain: f32 },
}

impl Adjust {
    /// The `tf.<function>` (`None`: not one of these).
    pub(crate) fn from_tf(
        function: &str,
        kwargs: &Map<String, Value>,
    ) -> Option<std::result::Result<Adjust, String>> {
        let num = |k: &str, default: Option<f64>| -> std::result::Result<f32, String> {
            match kwargs.get(k) {
                None | Some(Value::Null) => {
                    default.ok_or_else(|| format!("{k}: expected a number"))
                }
                Some(v) => v.as_f64().ok_or_else(|| format!("{k}: expected a number")),
            }
            .map(|f| f as f32)
        };
        Some(match function {
            "image.adjust_brightness" => num("delta", None).map(Adjust::Brightness),
            "image.adjust_contrast" => num("contrast_factor", None).map(Adjust::Contrast),
            "image.adjust_saturation" => num("saturation_factor", None).map(Adjust::Saturation),
            "image.adjust_gamma" => (|| {
                let gamma = num("gamma", Some(1.0))?;
                if gamma < 0.0 {
                    return Err("gamma: expected a non-negative number".to_string());
                }
                Ok(Adjust::Gamma {
                    gamma,
                    gain: num("gain", Some(1.0))?,
                })
            })(),
            _ => return None,
        })
    }

    /// The adjusted `[batch, height, width, channels]` images.
    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Tensor, String> {
        let shape = x.shape().to_vec();
        let [_, h, w, c] = shape[..] else {
            return Err(format!("expects NHWC images, got shape {shape:?}"));
        };
        let data = f32s(x);
        let out: Vec<f32> = match *self {
            Adjust::Brightness(d) => data.iter().map(|v| v + d).collect(),
            Adjust::Gamma { gamma, gain } => data.iter().map(|v| gain * v.powf(gamma)).collect(),
            Adjust::Contrast(f) => {
                let mut out = vec![0f32; data.len()];
                let per = h * w * c;
                for (img, o) in data.chunks(per.max(1)).zip(out.chunks_mut(per.max(1))) {
                    for ch in 0..c {
                        let n = (h * w) as f32;
                        let mean = img.iter().skip(ch).step_by(c).sum::<f32>() / n;
                        for i in (ch..img.len()).step_by(c) {
                            o[i] = (img[i] - mean) * f + mean;
                        }
                    }
                }
                out
            }
            Adjust::Saturation(f) => {
                if c != 3 {
                    return Err(format!("expects 3 channels, got shape {shape:?}"));
                }
                data.chunks(3)
                    .flat_map(|px| {
                        let [hue, s, v] = super::hsv::rgb_to_hsv([px[0], px[1], px[2]]);
                        super::hsv::hsv_to_rgb([hue, (s * f).clamp(0.0, 1.0), v])
                    })
                    .collect()
            }
        };
        Tensor::from_f32(shape, out).map_err(|e| e.to_string())
    }
}
