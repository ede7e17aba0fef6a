//! Keras 2's `tf.image.adjust_hue(image, delta)` (the last axis RGB), as
//! TensorFlow's CPU `AdjustHue` kernel computes it in float32: each pixel
//! to a hue in `[0, 6)` (by which channel is largest, middle and
//! smallest: six categories) and its largest / smallest channel, the hue
//! moved by `6 · delta` and wrapped into `[0, 6)`, and back (the middle
//! channel `min + ratio · (max - min)`). Saturation and value are kept.

use super::super::common::f32s;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};

type Out<T> = std::result::Result<T, String>;

#[derive(Debug, Clone)]
pub(crate) struct AdjustHue {
    delta: f32,
}

/// `[r, g, b]` as (hue in `[0, 6)`, min, max).
fn rgb_to_hv_range(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let (max, mid, min, category) = if r < g {
        if b < r {
            (g, r, b, 1)
        } else if b > g {
            (b, g, r, 3)
        } else {
            (g, b, r, 2)
        }
    } else if b < g {
        (r, g, b, 0)
    } else if b > r {
        (b, r, g, 4)
    } else {
        (r, b, g, 5)
    };
    if max == min {
        return (0.0, min, max);
    }
    let ratio = (mid - min) / (max - min);
    let h = category as f32
        + if category % 2 == 0 {
            ratio
        } else {
            1.0 - ratio
        };
    (h, min, max)
}

fn hv_range_to_rgb(h: f32, min: f32, max: f32) -> [f32; 3] {
    let category = h as i32;
    let mut ratio = h - category as f32;
    if category % 2 != 0 {
        ratio = 1.0 - ratio;
    }
    let mid = min + ratio * (max - min);
    match category {
        0 => [max, mid, min],
        1 => [mid, max, min],
        2 => [min, max, mid],
        3 => [min, mid, max],
        4 => [mid, min, max],
        _ => [max, min, mid],
    }
}

impl AdjustHue {
    /// The `tf.<function>` (`None`: not `image.adjust_hue`).
    pub(crate) fn from_tf(function: &str, kwargs: &Map<String, Value>) -> Option<Out<AdjustHue>> {
        (function == "image.adjust_hue").then(|| {
            let delta = kwargs
                .get("delta")
                .and_then(Value::as_f64)
                .filter(|d| (-1.0..=1.0).contains(d))
                .ok_or("delta: expected a constant number in [-1, 1]")?;
            Ok(AdjustHue {
                delta: delta as f32,
            })
        })
    }

    pub(crate) fn shape(&self, x: &Shape) -> Out<Shape> {
        match x.last() {
            Some(Some(3)) => Ok(x.clone()),
            _ => Err(format!("expects RGB images (3 channels last), got {x:?}")),
        }
    }

    pub(crate) fn call(&self, x: &Tensor) -> Out<Tensor> {
        if x.shape().last() != Some(&3) {
            return Err(format!("expects RGB images, got shape {:?}", x.shape()));
        }
        let mut out = Vec::with_capacity(x.len());
        for p in f32s(x).chunks(3) {
            let (mut h, min, max) = rgb_to_hv_range(p[0], p[1], p[2]);
            h += self.delta * 6.0;
            while h < 0.0 {
                h += 6.0;
            }
            while h >= 6.0 {
                h -= 6.0;
            }
            out.extend(hv_range_to_rgb(h, min, max));
        }
        Tensor::from_f32(x.shape().to_vec(), out).map_err(|e| e.to_string())
    }
}
