//! Spatial shape layers: `Cropping1D/2D/3D`, `ZeroPadding1D/2D/3D` and
//! `UpSampling1D/2D/3D` (nearest; 2-D also bilinear).

use super::common::*;
use crate::config::ConfigReader;
use crate::{Layer, LayerRegistry, Result, Shape, Tensor};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// Cropping / ZeroPadding
// ---------------------------------------------------------------------------

/// Nearest upsampling of a channels-last tensor: each index of spatial
/// axis `d` repeated `size[d]` times, an axis at a time from the last, so
/// that an outer axis repeats whole expanded rows (one copy each) rather
/// than pixel by pixel.
fn repeat_pixels(x: &[f32], (b, in_sp, c): (usize, &[usize], usize), size: &[usize]) -> Vec<f32> {
    let mut cur = std::borrow::Cow::Borrowed(x);
    let mut sp = in_sp.to_vec();
    for d in (0..sp.len()).rev() {
        let s = size[d];
        if s == 1 {
            continue;
        }
        // Values per index of axis `d`, and the indices of the axes before it.
        let inner: usize = sp[d + 1..].iter().product::<usize>() * c;
        let outer: usize = b * sp[..d].iter().product::<usize>() * sp[d];
        let mut next = Vec::with_capacity(cur.len() * s);
        if inner > 0 {
            for block in cur.chunks_exact(inner).take(outer) {
                for _ in 0..s {
                    next.extend_from_slice(block);
                }
            }
        }
        cur = std::borrow::Cow::Owned(next);
        sp[d] *= s;
    }
    cur.into_owned()
}

/// Copy a channels-last region: `out[b, o..., :] = x[b, o + shift..., :]`
/// when in range, else 0. A row of the last spatial axis is one copy of
/// its in-range run (pixel by pixel, NASNet's paddings of 1-16 channels
/// were a memmove call per pixel).
fn shift_copy(
    x: &[f32],
    (b, in_sp, c): (usize, &[usize], usize),
    out_sp: &[usize],
    shift: &[isize],
) -> Vec<f32> {
    let n = in_sp.len();
    let in_px: usize = in_sp.iter().product();
    let out_px: usize = out_sp.iter().product();
    let mut out = vec![0.0f32; b * out_px * c];
    if c == 0 || n == 0 || out_px == 0 {
        return out;
    }
    let (in_w, out_w, shift_w) = (in_sp[n - 1], out_sp[n - 1], shift[n - 1]);
    // Output columns whose source column `o + shift_w` is inside.
    let lo = (-shift_w).clamp(0, out_w as isize) as usize;
    let hi = (in_w as isize - shift_w).clamp(lo as isize, out_w as isize) as usize;
    if lo == hi {
        return out;
    }
    let src_lo = (lo as isize + shift_w) as usize;
    let run = (hi - lo) * c;
    let rows = out_px / out_w;
    let mut idx = vec![0usize; n - 1];
    for row in 0..rows {
        // The source row, when every outer index is inside.
        let mut ip = Some(0usize);
        for d in 0..n - 1 {
            let i = idx[d] as isize + shift[d];
            ip = ip
                .filter(|_| i >= 0 && (i as usize) < in_sp[d])
                .map(|ip| ip * in_sp[d] + i as usize);
        }
        if let Some(ip) = ip {
            for bi in 0..b {
                let src = (bi * in_px + ip * in_w + src_lo) * c;
                let dst = (bi * out_px + row * out_w + lo) * c;
                out[dst..dst + run].copy_from_slice(&x[src..src + run]);
            }
        }
        for d in (0..n - 1).rev() {
            idx[d] += 1;
            if idx[d] < out_sp[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Parse `cropping` / `padding` of an n-D layer into (before, after) pairs:
/// an int, `n` ints (symmetric per dim), or `n` pairs. For 1-D a pair is
/// `[before, after]`.
fn pairs_field(
    cfg: &ConfigReader<'_>,
    key: &str,
    n: usize,
    default: usize,
) -> Result<Vec<(usize, usize)>> {
    let to_u = |v: &Value| -> Option<usize> {
        v.as_u64().map(|x| x as usize).or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as usize)
        })
    };
    let bad = |v: &Value| {
        cfg.err(
            key,
            format!("expected an int, a list of {n} ints or a list of {n} [before, after] pairs, got {v}"),
        )
    };
    let Some(v) = cfg.get(key) else {
        return Ok(vec![(default, default); n]);
    };
    if let Some(x) = to_u(v) {
        return Ok(vec![(x, x); n]);
    }
    let arr = v.as_array().ok_or_else(|| bad(v))?;
    if n == 1 {
        return match arr.as_slice() {
            [a] => to_u(a).map(|a| vec![(a, a)]).ok_or_else(|| bad(v)),
            [a, b] => match (to_u(a), to_u(b)) {
                (Some(a), Some(b)) => Ok(vec![(a, b)]),
                _ => Err(bad(v)),
            },
            _ => Err(bad(v)),
        };
    }
    if arr.len() != n {
        return Err(bad(v));
    }
    arr.iter()
        .map(|e| {
            if let Some(x) = to_u(e) {
                return Ok((x, x));
            }
            match e.as_array().map(Vec::as_slice) {
                Some([a, b]) => match (to_u(a), to_u(b)) {
                    (Some(a), Some(b)) => Ok((a, b)),
                    _ => Err(bad(v)),
                },
                _ => Err(bad(v)),
            }
        })
        .collect()
}

fn pairs_value(p: &[(usize, usize)]) -> Value {
    if p.len() == 1 {
        return json!([p[0].0, p[0].1]);
    }
    Value::Array(p.iter().map(|&(a, b)| json!([a, b])).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PadKind {
    Crop,
    Pad,
}

/// `Cropping1D/2D/3D` and `ZeroPadding1D/2D/3D`.
#[derive(Debug, Clone)]
pub struct CropPad {
    base: Base,
    kind: PadKind,
    pairs: Vec<(usize, usize)>,
    cf: bool,
}

impl CropPad {
    fn from_config(cfg: &ConfigReader<'_>, kind: PadKind, n: usize) -> Result<Self> {
        let key = match kind {
            PadKind::Crop => "cropping",
            PadKind::Pad => "padding",
        };
        let default = match kind {
            PadKind::Crop => 0,
            PadKind::Pad => 1,
        };
        Ok(CropPad {
            base: Base::parse(cfg)?,
            kind,
            pairs: pairs_field(cfg, key, n, default)?,
            cf: if n == 1 { false } else { channels_first(cfg)? },
        })
    }

    /// `[(top, bottom), (left, right)]` of a channels-last `ZeroPadding2D`,
    /// which a following convolution can apply itself (inference fusion).
    pub(crate) fn zero_padding_2d(&self) -> Option<[(usize, usize); 2]> {
        match (self.kind, self.pairs.as_slice(), self.cf) {
            (PadKind::Pad, &[h, w], false) => Some([h, w]),
            _ => None,
        }
    }

    fn out_len(&self, d: usize, len: usize) -> Result<usize> {
        let (a, b) = self.pairs[d];
        match self.kind {
            PadKind::Pad => len
                .checked_add(a)
                .and_then(|x| x.checked_add(b))
                .filter(|&x| x <= MAX_WEIGHT_ELEMENTS)
                .ok_or_else(|| {
                    self.base.err(format!(
                        "config field `padding`: ({a}, {b}) around an input dimension of {len} is too large"
                    ))
                }),
            PadKind::Crop => a.checked_add(b).and_then(|ab| len.checked_sub(ab)).ok_or_else(|| {
                self.base.err(format!(
                    "cropping ({a}, {b}) is larger than the input dimension {len}"
                ))
            }),
        }
    }
}

impl Layer for CropPad {
    layer_flags!(per_sample, downcast);
    fn class_name(&self) -> &str {
        let classes = match self.kind {
            PadKind::Crop => CROPPING,
            PadKind::Pad => ZERO_PADDING,
        };
        class_by_rank(classes, self.pairs.len())
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let key = match self.kind {
            PadKind::Crop => "cropping",
            PadKind::Pad => "padding",
        };
        m.insert(key.into(), pairs_value(&self.pairs));
        if self.pairs.len() > 1 {
            m.insert("data_format".into(), data_format_value(self.cf));
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.pairs.len();
        let s = spatial_input(&self.base, inputs, n, self.cf)?;
        let out = spatial_output(&s, s[n + 1], |d, len| self.out_len(d, len))?;
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.pairs.len();
        let xl = spatial_input_tensor(&self.base, inputs, n, self.cf)?;
        let (b, sp, c) = xl.dims();
        let out_sp: Vec<usize> = (0..n)
            .map(|d| self.out_len(d, sp[d]))
            .collect::<Result<_>>()?;
        let shift: Vec<isize> = self
            .pairs
            .iter()
            .map(|&(a, _)| match self.kind {
                PadKind::Crop => a as isize,
                PadKind::Pad => -(a as isize),
            })
            .collect();
        let out = shift_copy(&xl.data, (b, sp, c), &out_sp, &shift);
        let y = spatial_result(&self.base, b, out_sp, c, out, self.cf)?;
        Ok(vec![y])
    }
}

// ---------------------------------------------------------------------------
// UpSampling
// ---------------------------------------------------------------------------

/// `UpSampling1D/2D/3D` (nearest; 2-D also bilinear).
#[derive(Debug, Clone)]
pub struct UpSampling {
    base: Base,
    size: Vec<usize>,
    cf: bool,
    bilinear: bool,
    /// Bilinear at half-pixel centers (Keras ≥ 2.4, see [`crate::Dialect`])
    /// rather than TensorFlow.js's corner-aligned sampling.
    half_pixel: bool,
    /// Keras's other `tf.image.resize` methods (`bicubic`, `area`,
    /// `lanczos3`, `lanczos5`; 2-D only).
    filter: Option<tfjs_kernels::resample::ResizeFilter>,
}

impl UpSampling {
    fn from_config(cfg: &ConfigReader<'_>, n: usize) -> Result<Self> {
        let size = cfg.tuple_or("size", n, 2)?;
        if size.contains(&0) {
            return Err(cfg.err("size", "values must be at least 1"));
        }
        let mut filter = None;
        let bilinear = match cfg.str_or("interpolation", "nearest")? {
            "nearest" => false,
            "bilinear" if n == 2 => true,
            other => match tfjs_kernels::resample::ResizeFilter::from_name(other) {
                Some(f) if n == 2 => {
                    filter = Some(f);
                    false
                }
                _ => return Err(cfg.err(
                    "interpolation",
                    format!(
                        "expected \"nearest\"{}, got {other:?}",
                        if n == 2 {
                            ", \"bilinear\", \"bicubic\", \"area\", \"lanczos3\" or \"lanczos5\""
                        } else {
                            ""
                        }
                    ),
                )),
            },
        };
        Ok(UpSampling {
            base: Base::parse(cfg)?,
            size,
            cf: if n == 1 { false } else { channels_first(cfg)? },
            bilinear,
            half_pixel: bilinear && cfg.dialect.half_pixel_upsampling(),
            filter,
        })
    }
}

impl Layer for UpSampling {
    layer_flags!(per_sample);
    fn class_name(&self) -> &str {
        class_by_rank(UP_SAMPLING, self.size.len())
    }
    fn name(&self) -> &str {
        &self.base.name
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self.size.len() {
            1 => {
                m.insert("size".into(), json!(self.size[0]));
            }
            2 => {
                m.insert("size".into(), ints(&self.size));
                m.insert("data_format".into(), data_format_value(self.cf));
                let interpolation = match self.filter {
                    Some(f) => crate::layers::preprocessing::Interpolation::Filter(f).name(),
                    None if self.bilinear => "bilinear",
                    None => "nearest",
                };
                m.insert("interpolation".into(), json!(interpolation));
            }
            _ => {
                m.insert("size".into(), ints(&self.size));
                m.insert("data_format".into(), data_format_value(self.cf));
            }
        }
        self.base.write(&mut m);
        m
    }
    fn output_shapes(&self, inputs: &[Shape]) -> Result<Vec<Shape>> {
        let n = self.size.len();
        let s = spatial_input(&self.base, inputs, n, self.cf)?;
        let out = spatial_output(&s, s[n + 1], |d, l| {
            l.checked_mul(self.size[d])
                .filter(|&x| x <= MAX_WEIGHT_ELEMENTS)
                .ok_or_else(|| {
                    self.base.err(format!(
                        "config field `size`: {} times an input dimension of {l} is too large",
                        self.size[d]
                    ))
                })
        })?;
        Ok(vec![shape_from_cl(out, self.cf)])
    }
    fn call(&self, inputs: &[Tensor], _masks: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let n = self.size.len();
        let xl = spatial_input_tensor(&self.base, inputs, n, self.cf)?;
        let (b, sp, c) = xl.dims();
        let out_sp: Vec<usize> = sp.iter().zip(&self.size).map(|(l, s)| l * s).collect();
        let out = if let Some(f) = self.filter {
            crate::layers::preprocessing::resize(
                &xl.data,
                (b, sp[0], sp[1], c),
                (out_sp[0], out_sp[1]),
                crate::layers::preprocessing::Interpolation::Filter(f),
            )
        } else if self.half_pixel {
            crate::layers::preprocessing::resize(
                &xl.data,
                (b, sp[0], sp[1], c),
                (out_sp[0], out_sp[1]),
                crate::layers::preprocessing::Interpolation::Bilinear,
            )
        } else if self.bilinear {
            let shape = tfjs_kernels::image::ImageShape {
                batch: b,
                height: sp[0],
                width: sp[1],
                channels: c,
            };
            // What TF.js's UpSampling2D calls: `resizeBilinear` with
            // neither `alignCorners` nor `halfPixelCenters`.
            let bilinear = tfjs_kernels::image::ResizeMethod::Bilinear;
            let size = [out_sp[0], out_sp[1]];
            tfjs_kernels::image::resize(&xl.data, shape, size, bilinear, false, false)
        } else {
            // Nearest: output pixel `o` repeats input pixel `o / size`.
            repeat_pixels(&xl.data, (b, sp, c), &self.size)
        };
        let y = spatial_result(&self.base, b, out_sp, c, out, self.cf)?;
        Ok(vec![y])
    }
}

const CROPPING: RankClasses = ["Cropping1D", "Cropping2D", "Cropping3D"];
const ZERO_PADDING: RankClasses = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"];
const UP_SAMPLING: RankClasses = ["UpSampling1D", "UpSampling2D", "UpSampling3D"];

/// Register the cropping, zero-padding and upsampling classes.
pub fn register(registry: &mut LayerRegistry) {
    for (kind, classes) in [(PadKind::Crop, CROPPING), (PadKind::Pad, ZERO_PADDING)] {
        register_by_rank(registry, classes, move |c, n| {
            boxed_layer(CropPad::from_config(c, kind, n))
        });
    }
    register_by_rank(registry, UP_SAMPLING, |c, n| {
        boxed_layer(UpSampling::from_config(c, n))
    });
}

#[cfg(test)]
mod tests {
    use super::shift_copy;

    /// Nearest upsampling against its definition (output pixel `o` is input
    /// pixel `o / size`), 1-3 spatial axes, sizes of 1 included.
    #[test]
    fn repeat_pixels_matches_its_definition() {
        let cases: [(&[usize], &[usize]); 4] = [
            (&[5], &[3]),
            (&[3, 4], &[2, 3]),
            (&[3, 4], &[1, 2]),
            (&[2, 3, 2], &[2, 1, 3]),
        ];
        for (in_sp, size) in cases {
            for c in [1usize, 5] {
                let b = 2;
                let in_px: usize = in_sp.iter().product();
                let out_sp: Vec<usize> = in_sp.iter().zip(size).map(|(l, s)| l * s).collect();
                let out_px: usize = out_sp.iter().product();
                let x: Vec<f32> = (0..b * in_px * c).map(|i| i as f32).collect();
                let got = super::repeat_pixels(&x, (b, in_sp, c), size);
                let mut want = Vec::new();
                for bi in 0..b {
                    for op in 0..out_px {
                        let (mut rest, mut ip, mut stride) = (op, 0, 1);
                        for d in (0..out_sp.len()).rev() {
                            ip += (rest % out_sp[d]) / size[d] * stride;
                            rest /= out_sp[d];
                            stride *= in_sp[d];
                        }
                        want.extend_from_slice(
                            &x[(bi * in_px + ip) * c..(bi * in_px + ip + 1) * c],
                        );
                    }
                }
                assert_eq!(got, want, "in {in_sp:?} size {size:?} c {c}");
            }
        }
    }

    /// `shift_copy` against its definition, value by value: 1-3 spatial
    /// axes, paddings and croppings (shifts of both signs, some wider than
    /// the axis), several channel counts and a batch.
    #[test]
    fn shift_copy_matches_its_definition() {
        let cases: [(&[usize], &[usize], &[isize]); 7] = [
            (&[7], &[10], &[-2]),
            (&[7], &[3], &[3]),
            (&[5, 6], &[8, 7], &[-1, -2]),
            (&[5, 6], &[4, 5], &[1, 1]),
            (&[5, 6], &[6, 6], &[2, -3]),
            (&[3, 4, 5], &[5, 3, 7], &[-1, 1, -2]),
            (&[4, 4], &[4, 4], &[0, 9]),
        ];
        for (in_sp, out_sp, shift) in cases {
            for c in [1usize, 3, 8] {
                let b = 2;
                let in_px: usize = in_sp.iter().product();
                let out_px: usize = out_sp.iter().product();
                let x: Vec<f32> = (0..b * in_px * c).map(|i| i as f32 + 1.0).collect();
                let got = shift_copy(&x, (b, in_sp, c), out_sp, shift);
                let mut want = vec![0.0f32; b * out_px * c];
                for bi in 0..b {
                    for op in 0..out_px {
                        // Unravel op, shift, ravel into the input.
                        let mut rest = op;
                        let mut idx = vec![0usize; out_sp.len()];
                        for d in (0..out_sp.len()).rev() {
                            idx[d] = rest % out_sp[d];
                            rest /= out_sp[d];
                        }
                        let mut ip = Some(0usize);
                        for d in 0..in_sp.len() {
                            let i = idx[d] as isize + shift[d];
                            ip = ip
                                .filter(|_| i >= 0 && (i as usize) < in_sp[d])
                                .map(|ip| ip * in_sp[d] + i as usize);
                        }
                        if let Some(ip) = ip {
                            for ch in 0..c {
                                want[(bi * out_px + op) * c + ch] = x[(bi * in_px + ip) * c + ch];
                            }
                        }
                    }
                }
                assert!(want.iter().any(|&v| v != 0.0) || shift[1..].contains(&9));
                assert_eq!(
                    got, want,
                    "in {in_sp:?} out {out_sp:?} shift {shift:?} c {c}"
                );
            }
        }
    }
}
