//! Keras 3's image contrast layers that act at inference (TensorFlow
//! backend): `AutoContrast` (each channel stretched to the value range)
//! and `ContrastLimitedAdaptiveHistogramEqualization` (CLAHE: clipped
//! per-tile histograms, their equalizing maps interpolated bilinearly).
//! Neither exists in TensorFlow.js 4.22. (`Equalization` and
//! `MaxNumBoundingBoxes` are the identity on an image tensor at inference:
//! they are among `preprocessing::INFERENCE_IDENTITY`.)
//!
//! Both keep their config as Keras wrote it. An image is `[batch, height,
//! width, channels]`; a rank-3 input is one image, as Keras treats it.

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor, TensorData};
use serde_json::{Map, Value};

/// Register the classes.
pub fn register(registry: &mut LayerRegistry) {
    register_layer(registry, &["AutoContrast"], AutoContrast::from_config);
    register_layer(
        registry,
        &["ContrastLimitedAdaptiveHistogramEqualization"],
        Clahe::from_config,
    );
}

/// `value_range` (two numbers; default `[0, 255]`).
fn value_range(c: &ConfigReader<'_>) -> Result<(f32, f32)> {
    let Some(v) = c.get("value_range") else {
        return Ok((0.0, 255.0));
    };
    match v
        .as_array()
        .map(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
    {
        Some(Some(r)) if r.len() == 2 && r.iter().all(|f| f.is_finite()) => {
            Ok((r[0] as f32, r[1] as f32))
        }
        _ => Err(c.err(
            "value_range",
            format!("expected a list of two numbers, got {v}"),
        )),
    }
}

/// Keras's `_transform_value_range` in float32: `x` from `from` to `to`
/// (`(x - a) / (b - a) · (d - c) + c`); nothing when the ranges are equal.
fn rescale(x: &mut [f32], from: (f32, f32), to: (f32, f32)) {
    if from == to {
        return;
    }
    let (span, scale) = (from.1 - from.0, to.1 - to.0);
    x.iter_mut()
        .for_each(|v| *v = (*v - from.0) / span * scale + to.0);
}

/// An image tensor's `(batch, height, width, channels)`: rank 4, or rank 3
/// as one image.
fn image_dims(layer: &str, shape: &[usize]) -> Result<(usize, usize, usize, usize)> {
    match *shape {
        [h, w, c] => Ok((1, h, w, c)),
        [b, h, w, c] => Ok((b, h, w, c)),
        _ => Err(input_err(
            layer,
            format!("expects images [batch, height, width, channels] (or one [height, width, channels]), got {shape:?}"),
        )),
    }
}

fn image_shape(base: &Base, inputs: &[Shape]) -> Result<Shape> {
    let s = one_shape(base, inputs)?;
    if s.len() != 3 && s.len() != 4 {
        return Err(base.err(format!(
            "expects images [batch, height, width, channels] (or one [height, width, channels]), got {}",
            shape_str(s)
        )));
    }
    Ok(s.clone())
}

/// `AutoContrast(value_range)`: per image and channel, the values moved to
/// `[0, 255]`, stretched so the minimum is 0 and the maximum 255 (clipped),
/// and moved back; a channel whose result is NaN (a constant channel:
/// `255 / 0`) keeps its input values.
#[derive(Debug)]
pub struct AutoContrast {
    base: Base,
    config: Map<String, Value>,
    /// Sorted, as Keras keeps it.
    range: (f32, f32),
    /// Whether the built input was a batch (rank 4), so samples are
    /// independent.
    batched: bool,
}

impl AutoContrast {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<AutoContrast> {
        let (a, b) = value_range(c)?;
        Ok(AutoContrast {
            base: Base::parse(c)?,
            config: Base::rest_of(c),
            range: (a.min(b), a.max(b)),
            batched: false,
        })
    }
}

/// The `Layer` methods both image layers share: per-sample when batched
/// (`[b, h, w, c]`), the config as read, the input's shape out.
macro_rules! image_layer_methods {
    () => {
        fn per_sample(&self) -> bool {
            self.batched
        }
        fn config(&self) -> Map<String, Value> {
            self.base.with_rest(&self.config)
        }
        fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
            self.batched = input_shapes.first().is_some_and(|s| s.len() == 4);
            Ok(())
        }
        fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
            Ok(vec![image_shape(&self.base, inputs)?])
        }
    };
}

impl Layer for AutoContrast {
    layer_common!(names "AutoContrast");
    image_layer_methods!();
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let (b, h, w, c) = image_dims(&self.base.name, x.shape())?;
        let original = f32s(x);
        let mut v = original.to_vec();
        rescale(&mut v, self.range, (0.0, 255.0));
        let plane = h * w;
        for bi in 0..b {
            let img = &mut v[bi * plane * c..][..plane * c];
            for ch in 0..c {
                let (lo, hi) = img
                    .iter()
                    .skip(ch)
                    .step_by(c)
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &p| {
                        (lo.min(p), hi.max(p))
                    });
                let scale = 255.0 / (hi - lo);
                let offset = -lo * scale;
                for p in img.iter_mut().skip(ch).step_by(c) {
                    *p = (*p * scale + offset).clamp(0.0, 255.0);
                }
            }
        }
        rescale(&mut v, (0.0, 255.0), self.range);
        for (r, &o) in v.iter_mut().zip(original.iter()) {
            if r.is_nan() {
                *r = o;
            }
        }
        Ok(vec![make_tensor(&self.base, x.shape().to_vec(), v)?])
    }
}

/// `ContrastLimitedAdaptiveHistogramEqualization(value_range, clip_limit,
/// tile_grid_size, data_format)`, as Keras computes it: values moved to
/// `[0, 255]`; the image symmetric-padded to whole tiles; per tile and
/// channel a 256-bin histogram of the truncated values, clipped at
/// `clip_limit · tile area / 256` with the excess spread evenly, its
/// cumulative sum normalized to `[0, 255]`; each pixel's value looked up in
/// the maps of the four nearest tiles (edge tiles repeated) and blended
/// bilinearly by its position between tile centers; moved back to the value
/// range and cast to the input's type (an integer image truncated).
#[derive(Debug)]
pub struct Clahe {
    base: Base,
    config: Map<String, Value>,
    range: (f32, f32),
    clip_limit: f64,
    grid: (usize, usize),
    channels_first: bool,
    batched: bool,
}

/// Most entries one channel's tile maps may hold (`(grid_h + 2) ·
/// (grid_w + 2) · 256`).
const MAX_TILE_MAP: usize = 1 << 28;

impl Clahe {
    /// Build from a config.
    pub fn from_config(c: &ConfigReader<'_>) -> Result<Clahe> {
        let grid = match c.get("tile_grid_size") {
            None => (8, 8),
            Some(_) => {
                let g = c.tuple_req("tile_grid_size", 2)?;
                (g[0], g[1])
            }
        };
        let map = (grid.0.checked_add(2))
            .zip(grid.1.checked_add(2))
            .and_then(|(a, b)| a.checked_mul(b))
            .and_then(|n| n.checked_mul(256));
        if grid.0 == 0 || grid.1 == 0 || map.is_none_or(|n| n > MAX_TILE_MAP) {
            return Err(c.err(
                "tile_grid_size",
                format!("{grid:?}: each must be at least 1, and the tiles' maps at most {MAX_TILE_MAP} values"),
            ));
        }
        let channels_first = channels_first(c)?;
        Ok(Clahe {
            base: Base::parse(c)?,
            config: Base::rest_of(c),
            range: value_range(c)?,
            clip_limit: c.f64_or("clip_limit", 4.0)?,
            grid,
            channels_first,
            batched: false,
        })
    }

    /// One channel (`h × w` values, row-major, already in `[0, 255]`)
    /// equalized.
    fn equalize(&self, img: &[f32], h: usize, w: usize) -> Result<Vec<f32>> {
        let (gh, gw) = self.grid;
        let (th, tw) = (h.div_ceil(gh), w.div_ceil(gw));
        let (hp, wp) = (th * gh, tw * gw);
        if hp - h > h || wp - w > w {
            return Err(input_err(
                &self.base.name,
                format!(
                    "an image of {h}x{w} cannot be padded symmetrically to {gh}x{gw} tiles of {th}x{tw} (TensorFlow's symmetric padding is at most the image size)"
                ),
            ));
        }
        // TensorFlow's SYMMETRIC padding after the image: the edge repeated.
        let at = |y: usize, x: usize| -> f32 {
            let y = if y < h { y } else { 2 * h - 1 - y };
            let x = if x < w { x } else { 2 * w - 1 - x };
            img[y * w + x]
        };
        let area = (th * tw) as f32;
        let limit = (self.clip_limit * (th * tw) as f64 / 256.0) as f32;
        // Maps of the tiles with a border of repeated edge tiles:
        // [(gh + 2) × (gw + 2)] × 256.
        let mut maps = vec![0f32; (gh + 2) * (gw + 2) * 256];
        let mut hist = [0f32; 256];
        for ty in 0..gh {
            for tx in 0..gw {
                hist.fill(0.0);
                for y in ty * th..(ty + 1) * th {
                    for x in tx * tw..(tx + 1) * tw {
                        hist[(at(y, x) as i32).clamp(0, 255) as usize] += 1.0;
                    }
                }
                if self.clip_limit > 0.0 {
                    let mut excess = 0f32;
                    for v in hist.iter_mut() {
                        let clipped = v.clamp(0.0, limit);
                        excess += *v - clipped;
                        *v = clipped;
                    }
                    let redist = excess / 256.0;
                    hist.iter_mut().for_each(|v| *v += redist);
                }
                let mut cdf = [0f32; 256];
                let mut acc = 0f32;
                for (c, v) in cdf.iter_mut().zip(&hist) {
                    acc += v;
                    *c = acc;
                }
                let cdf_min = cdf.iter().copied().fold(f32::INFINITY, f32::min);
                let den = match area - cdf_min {
                    0.0 => 1.0,
                    d => d,
                };
                let m = &mut maps[((ty + 1) * (gw + 2) + tx + 1) * 256..][..256];
                for (o, c) in m.iter_mut().zip(&cdf) {
                    *o = ((c - cdf_min) * 255.0 / den).clamp(0.0, 255.0);
                }
            }
        }
        // The border: rows first (top, bottom), then columns (left, right).
        let row = (gw + 2) * 256;
        maps.copy_within(row..2 * row, 0);
        maps.copy_within(gh * row..(gh + 1) * row, (gh + 1) * row);
        for gy in 0..gh + 2 {
            let r = gy * row;
            maps.copy_within(r + 256..r + 512, r);
            maps.copy_within(r + gw * 256..r + (gw + 1) * 256, r + (gw + 1) * 256);
        }
        let grid_pos = |i: usize, t: usize, g: usize| -> (usize, usize, f32) {
            let pos = (i as f32 - t as f32 / 2.0) / t as f32 + 1.0;
            let p0 = pos.floor();
            let weight = pos - p0;
            let clip = |v: f32| v.clamp(0.0, (g + 1) as f32) as usize;
            (clip(p0), clip(p0 + 1.0), weight)
        };
        let cols: Vec<(usize, usize, f32)> = (0..w).map(|x| grid_pos(x, tw, gw)).collect();
        let mut out = Vec::with_capacity(h * w);
        for y in 0..h {
            let (y0, y1, wy) = grid_pos(y, th, gh);
            for (x, &(x0, x1, wx)) in cols.iter().enumerate() {
                let v = img[y * w + x].clamp(0.0, 255.0) as usize;
                let look = |gy: usize, gx: usize| maps[(gy * (gw + 2) + gx) * 256 + v];
                let top = look(y0, x0) * (1.0 - wx) + look(y0, x1) * wx;
                let bottom = look(y1, x0) * (1.0 - wx) + look(y1, x1) * wx;
                out.push(top * (1.0 - wy) + bottom * wy);
            }
        }
        Ok(out)
    }
}

impl Layer for Clahe {
    layer_common!(names "ContrastLimitedAdaptiveHistogramEqualization");
    image_layer_methods!();
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let x = one_input(&self.base, inputs)?;
        let shape = x.shape().to_vec();
        // Channels-last dims, and the strides of (h, w, c) in the input.
        let (b, h, w, c, strides) = if self.channels_first {
            let (b, c, h, w) = image_dims(&self.base.name, &shape)?;
            (b, h, w, c, [w, 1, h * w])
        } else {
            let (b, h, w, c) = image_dims(&self.base.name, &shape)?;
            (b, h, w, c, [w * c, c, 1])
        };
        if h == 0 || w == 0 {
            return Err(input_err(&self.base.name, format!("empty image {shape:?}")));
        }
        let data = f32s(x);
        let per_image = h * w * c;
        let mut out = vec![0f32; data.len()];
        let mut plane = vec![0f32; h * w];
        for bi in 0..b {
            let src = &data[bi * per_image..][..per_image];
            let dst = &mut out[bi * per_image..][..per_image];
            for ch in 0..c {
                for y in 0..h {
                    for xx in 0..w {
                        plane[y * w + xx] = src[y * strides[0] + xx * strides[1] + ch * strides[2]];
                    }
                }
                rescale(&mut plane, self.range, (0.0, 255.0));
                let mut eq = self.equalize(&plane, h, w)?;
                rescale(&mut eq, (0.0, 255.0), self.range);
                for y in 0..h {
                    for xx in 0..w {
                        dst[y * strides[0] + xx * strides[1] + ch * strides[2]] = eq[y * w + xx];
                    }
                }
            }
        }
        let t = match x.data() {
            // Keras casts back to the input's type.
            TensorData::I32(_) => Tensor::from_i32(shape, out.iter().map(|&v| v as i32).collect())?,
            _ => make_tensor(&self.base, shape, out)?,
        };
        Ok(vec![t])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clahe(config: Value) -> Result<Clahe> {
        let map = config.as_object().expect("an object").clone();
        Clahe::from_config(&ConfigReader::new("clahe", &map))
    }

    #[test]
    fn bad_configs_are_errors_naming_the_field() {
        for config in [
            json!({"tile_grid_size": [0, 2]}),
            json!({"tile_grid_size": [1 << 20, 1 << 20]}),
        ] {
            let e = clahe(config.clone()).unwrap_err().to_string();
            assert!(e.contains("`tile_grid_size`"), "{config}: {e}");
        }
        let e = clahe(json!({"value_range": [0]})).unwrap_err().to_string();
        assert!(e.contains("`value_range`"), "{e}");
        let map = json!({"value_range": "0..255"})
            .as_object()
            .unwrap()
            .clone();
        let e = AutoContrast::from_config(&ConfigReader::new("ac", &map)).unwrap_err();
        assert!(e.to_string().contains("`value_range`"), "{e}");
    }

    #[test]
    fn an_image_smaller_than_its_tile_padding_is_an_error() {
        // 2 rows in 8 tiles of 1 row: 6 rows of symmetric padding > 2.
        let layer = clahe(json!({"tile_grid_size": [8, 1]})).unwrap();
        let x = Tensor::from_f32(vec![1, 2, 2, 1], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let e = layer.call(&[x], &[None]).unwrap_err().to_string();
        assert!(e.contains("symmetric"), "{e}");
    }

    #[test]
    fn a_constant_channel_keeps_its_values() {
        let map = json!({}).as_object().unwrap().clone();
        let layer = AutoContrast::from_config(&ConfigReader::new("ac", &map)).unwrap();
        // Channel 0 constant (255 / 0 is NaN there), channel 1 from 10 to 20.
        let x = Tensor::from_f32(vec![1, 1, 2, 2], vec![7.0, 10.0, 7.0, 20.0]).unwrap();
        let y = layer.call(&[x], &[None]).unwrap();
        assert_eq!(y[0].to_f32().as_ref(), &[7.0, 0.0, 7.0, 255.0]);
    }
}
