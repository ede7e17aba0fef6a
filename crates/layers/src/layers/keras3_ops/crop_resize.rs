//! Keras 2's `tf.image.crop_and_resize(image, boxes, box_indices,
//! crop_size, method, extrapolation_value)` with constant boxes and box
//! indices (an ROI head's crops of its feature maps), as TensorFlow's CPU
//! kernel computes it: box `b = [y1, x1, y2, x2]` (normalised) of image
//! `box_indices[b]` is sampled at `crop_size` points, row `y` at
//! `y1 · (h - 1) + y · (y2 - y1) · (h - 1) / (crop_h - 1)` (the box's
//! centre for one row), bilinearly (`top + (bottom - top) · y_lerp` of
//! `left + (right - left) · x_lerp`) or at the nearest pixel (rounding
//! half away from zero); a point outside the image is
//! `extrapolation_value`. The output is `[boxes, crop_h, crop_w,
//! channels]`: one crop per box, whatever the input batch (an index
//! outside it is an error, as in TensorFlow).

use super::super::common::*;
use crate::{Shape, Tensor};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) struct CropResize {
    boxes: Vec<[f32; 4]>,
    indices: Vec<usize>,
    size: [usize; 2],
    nearest: bool,
    extrapolation: f32,
}

impl CropResize {
    /// `tf.image.crop_and_resize`'s keyword arguments.
    pub(crate) fn from_tf(kwargs: &Map<String, Value>) -> std::result::Result<CropResize, String> {
        let boxes: Vec<[f32; 4]> = kwargs
            .get("boxes")
            .and_then(Value::as_array)
            .and_then(|rows| {
                rows.iter()
                    .map(|r| match r.as_array()?.as_slice() {
                        [a, b, c, d] => Some([a, b, c, d].map(|v| v.as_f64().unwrap_or(f64::NAN) as f32)),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .filter(|b| b.iter().flatten().all(|v| v.is_finite()))
            .ok_or("boxes: expected a constant [[y1, x1, y2, x2], …] (a tensor of boxes is not supported)")?;
        let indices: Vec<usize> = kwargs
            .get("box_indices")
            .or_else(|| kwargs.get("box_ind"))
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(|v| v.as_u64().map(|i| i as usize)).collect())
            .filter(|i: &Vec<usize>| i.len() == boxes.len())
            .ok_or("box_indices: expected one constant image index per box")?;
        let size = kwargs
            .get("crop_size")
            .and_then(Value::as_array)
            .and_then(|a| match a.as_slice() {
                [h, w] => Some([h.as_u64()? as usize, w.as_u64()? as usize]),
                _ => None,
            })
            .filter(|s| s[0] > 0 && s[1] > 0 && s[0] * s[1] <= 1 << 20)
            .ok_or("crop_size: expected [height, width]")?;
        let nearest = match kwargs.get("method").and_then(Value::as_str) {
            None | Some("bilinear") => false,
            Some("nearest") => true,
            Some(m) => return Err(format!("method: expected bilinear or nearest, got {m}")),
        };
        let extrapolation = match kwargs.get("extrapolation_value") {
            None | Some(Value::Null) => 0.0,
            Some(v) => v.as_f64().ok_or("extrapolation_value: expected a number")? as f32,
        };
        Ok(CropResize {
            boxes,
            indices,
            size,
            nearest,
            extrapolation,
        })
    }

    /// The output shape for images `x` (`[batch, h, w, channels]`).
    pub(crate) fn shape(&self, x: &Shape) -> std::result::Result<Shape, String> {
        if x.len() != 4 {
            return Err(format!(
                "expects images [batch, height, width, channels], got {}",
                shape_str(x)
            ));
        }
        Ok(vec![
            Some(self.boxes.len()),
            Some(self.size[0]),
            Some(self.size[1]),
            x[3],
        ])
    }

    /// The crops.
    pub(crate) fn call(&self, x: &Tensor) -> std::result::Result<Tensor, String> {
        let [n, h, w, ch] = x.shape()[..] else {
            return Err(format!("expects images of rank 4, got {:?}", x.shape()));
        };
        let data = f32s(x);
        let [ch_out, cw_out] = self.size;
        let mut out = Vec::with_capacity(self.boxes.len() * ch_out * cw_out * ch);
        let (fh, fw) = ((h as f32) - 1.0, (w as f32) - 1.0);
        for (&[y1, x1, y2, x2], &image) in self.boxes.iter().zip(&self.indices) {
            if image >= n {
                return Err(format!("box index {image} is outside the batch of {n}"));
            }
            let pixel = |y: usize, xx: usize, d: usize| data[((image * h + y) * w + xx) * ch + d];
            let coord = |a: f32, b: f32, k: usize, len: usize, extent: f32| -> f32 {
                if len > 1 {
                    a * extent + k as f32 * ((b - a) * extent / (len - 1) as f32)
                } else {
                    (0.5 * (a as f64 + b as f64) * extent as f64) as f32
                }
            };
            for yi in 0..ch_out {
                let in_y = coord(y1, y2, yi, ch_out, fh);
                for xi in 0..cw_out {
                    let in_x = coord(x1, x2, xi, cw_out, fw);
                    if !(0.0..=fh).contains(&in_y) || !(0.0..=fw).contains(&in_x) {
                        out.extend(std::iter::repeat_n(self.extrapolation, ch));
                        continue;
                    }
                    if self.nearest {
                        let (yy, xx) = (in_y.round() as usize, in_x.round() as usize);
                        out.extend((0..ch).map(|d| pixel(yy, xx, d)));
                        continue;
                    }
                    let (top, bottom) = (in_y.floor(), in_y.ceil());
                    let (left, right) = (in_x.floor(), in_x.ceil());
                    let (y_lerp, x_lerp) = (in_y - top, in_x - left);
                    let (t, b, l, r) =
                        (top as usize, bottom as usize, left as usize, right as usize);
                    out.extend((0..ch).map(|d| {
                        let top = pixel(t, l, d) + (pixel(t, r, d) - pixel(t, l, d)) * x_lerp;
                        let bottom = pixel(b, l, d) + (pixel(b, r, d) - pixel(b, l, d)) * x_lerp;
                        top + (bottom - top) * y_lerp
                    }));
                }
            }
        }
        Tensor::from_f32(vec![self.boxes.len(), ch_out, cw_out, ch], out).map_err(|e| e.to_string())
    }
}
